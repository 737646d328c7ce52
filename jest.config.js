/**
 * Unit tests run once; every e2e suite runs on SQLite and, when TEST_MYSQL_URL is set, again on
 * MySQL/MariaDB. CI must set it: a MySQL test never passes silently by not running there.
 */
const mysql = Boolean(process.env.TEST_MYSQL_URL);
if (process.env.CI && !mysql) {
  throw new Error('CI is set but TEST_MYSQL_URL is not: the MySQL e2e suites would not run');
}

const common = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Type checking is `npm run build`'s job; transpiling alone keeps the suite fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  rootDir: __dirname,
};

const e2e = (db) => ({
  ...common,
  displayName: `e2e:${db}`,
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  setupFiles: [`<rootDir>/test/support/use-${db}.js`],
});

module.exports = {
  testTimeout: 60000,
  // A worker that ran many suites holds 0.85 to 1.05 GB; Node then needs 0.6 s or more to tear it down
  // after its exit event, past jest-worker's fixed 0.5 s, and Jest force-kills it with a warning
  // about leaks (no handle, file or thread was left open: README, Development). Recycling a worker
  // that has grown past this after a suite keeps the last ones small.
  workerIdleMemoryLimit: '512MB',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'] },
    e2e('sqlite'),
    ...(mysql ? [e2e('mysql')] : []),
  ],
};
