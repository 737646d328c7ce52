import { createServer } from 'node:net';
import { createConnection } from 'mysql2/promise';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnreachable } from './db-errors';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const mysql2Error = (message: string, props: object) => Object.assign(new Error(message), props);
const statement = (driverError: object) => new QueryFailedError('SELECT 1', [], driverError as Error);

describe('isDatabaseUnreachable', () => {
  it("takes mysql2's own error for a server that refuses the connection", async () => {
    const err: unknown = await createConnection({ host: '127.0.0.1', port: await closedPort() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ECONNREFUSED', fatal: true });
    expect(isDatabaseUnreachable(err)).toBe(true);
  });

  it('takes the errors of a connection reset, lost or timed out, raw from the pool or wrapped by TypeORM', () => {
    for (const [message, code] of [
      ['connect ECONNRESET 127.0.0.1:3306', 'ECONNRESET'],
      ['read ECONNRESET', 'ECONNRESET'],
      ['write EPIPE', 'EPIPE'],
      ['connect ETIMEDOUT', 'ETIMEDOUT'],
      ['Connection lost: The server closed the connection.', 'PROTOCOL_CONNECTION_LOST'],
      ['getaddrinfo ENOTFOUND db', 'ENOTFOUND'],
      ['Too many connections', 'ER_CON_COUNT_ERROR'],
    ]) {
      expect(isDatabaseUnreachable(mysql2Error(message, { code, fatal: true }))).toBe(true);
      expect(isDatabaseUnreachable(statement(mysql2Error(message, { code })))).toBe(true);
    }
    expect(
      isDatabaseUnreachable(
        statement(mysql2Error('Server shutdown in progress', { code: 'ER_SERVER_SHUTDOWN' })),
      ),
    ).toBe(true);
    // A statement on a connection that had already failed: mysql2 gives it no code.
    const closed = mysql2Error("Can't add new command when connection is in closed state", { fatal: true });
    expect(isDatabaseUnreachable(closed)).toBe(true);
    expect(isDatabaseUnreachable(statement(closed))).toBe(true);
  });

  it('leaves alone errors of the statement itself, of SQLite, and network errors not from mysql2', () => {
    expect(
      isDatabaseUnreachable(statement(mysql2Error('Duplicate entry', { code: 'ER_DUP_ENTRY', errno: 1062 }))),
    ).toBe(false);
    expect(
      isDatabaseUnreachable(statement(mysql2Error('Deadlock found', { code: 'ER_LOCK_DEADLOCK' }))),
    ).toBe(false);
    expect(isDatabaseUnreachable(statement(mysql2Error('database is locked', { code: 'SQLITE_BUSY' })))).toBe(
      false,
    );
    // A LINE call's reset connection is no database outage: not marked fatal by mysql2.
    expect(isDatabaseUnreachable(mysql2Error('socket hang up', { code: 'ECONNRESET' }))).toBe(false);
    expect(isDatabaseUnreachable(new Error('Pool is closed.'))).toBe(false);
    expect(isDatabaseUnreachable(undefined)).toBe(false);
    expect(isDatabaseUnreachable('ECONNRESET')).toBe(false);
  });
});
