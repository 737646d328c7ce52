import { Writable } from 'node:stream';
import pinoHttp, { Options } from 'pino-http';
import { DataSource, QueryFailedError } from 'typeorm';
import { loggerParams } from './logging.module';

const SECRET = 'what the chat said, never to be logged';

/** Logs `{ err }` at error level with the app's own logger settings; answers what was written. */
function logged(err: unknown): string {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  pinoHttp(loggerParams('info').pinoHttp as Options, stream).logger.error({ err }, 'Processing failed');
  return lines.join('');
}

describe('logging a database error', () => {
  it('keeps the statement and the reason of a failed TypeORM query, not its values', async () => {
    const ds = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    try {
      await ds.query('CREATE TABLE notes (body TEXT NOT NULL CHECK (length(body) < 5))');
      const err = await ds.query('INSERT INTO notes (body) VALUES (?)', [SECRET]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryFailedError);
      const line = logged(err);
      expect(line).toContain('INSERT INTO notes (body) VALUES (?)');
      expect(line).toContain('CHECK constraint failed');
      expect(line).not.toContain(SECRET);
    } finally {
      await ds.destroy();
    }
  });

  it('drops the SQL with inlined values that mysql2 puts on its errors', () => {
    // mysql2 formats the values into the statement it sends and keeps it as `sql` on the error.
    const driverError = Object.assign(new Error("Data too long for column 'body' at row 1"), {
      code: 'ER_DATA_TOO_LONG',
      sql: `INSERT INTO notes (body) VALUES ('${SECRET}')`,
    });
    const failed = new QueryFailedError('INSERT INTO notes (body) VALUES (?)', [SECRET], driverError);
    const line = logged(failed);
    expect(line).toContain('ER_DATA_TOO_LONG');
    expect(line).toContain('"type":"QueryFailedError"');
    expect(line).not.toContain(SECRET);
  });
});
