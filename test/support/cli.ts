import { execFile } from 'node:child_process';
import { TEST_JWT_SECRET, TestApp } from './test-app';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run -s cli -- ...` against the suite's database and secret, as an operator would run it. */
export function cli(t: TestApp, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '-s', 'cli', '--', ...args],
      {
        cwd: `${__dirname}/../..`,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATA_DIR: t.db.dataDir,
          ...(t.db.url ? { DATABASE_URL: t.db.url } : {}),
          JWT_SECRET: TEST_JWT_SECRET,
          TS_NODE_TRANSPILE_ONLY: 'true',
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
