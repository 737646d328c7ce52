/**
 * `npm run bench:promise-hooks`: what an enabled AsyncLocalStorage adds to every promise. Once one is
 * in use (the SQLite serializer's, the LINE calls' timeout, the request logger's), Node runs promise
 * hooks for every promise of the process, so the cost scales with the promises an event makes
 * (`BENCH_COUNT_PROMISES=on npm run bench:webhook` counts them). Each round runs the same chain of
 * nested async calls in two fresh processes, one without and one with an AsyncLocalStorage entered,
 * alternated; the figures are nanoseconds per promise, counted as a promise hook counts them.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { percentile } from './percentile';

const ROUNDS = 5;
const CALLS = 400_000;

async function inner(i: number): Promise<number> {
  return i + 1;
}

async function outer(i: number): Promise<number> {
  let sum = 0;
  for (let k = 0; k < 5; k++) sum += await inner(i + k);
  await Promise.resolve();
  return sum;
}

/** Promises per `outer` call, as a promise hook sees them (the unit bench/count-promises.js counts in). */
async function count(): Promise<void> {
  let promises = 0;
  createHook({ init: (_id, type) => void (type === 'PROMISE' && promises++) }).enable();
  for (let i = 0; i < 1000; i++) await outer(i);
  process.stdout.write(String(promises / 1000));
}

/** Nanoseconds per `outer` call. */
async function time(withStorage: boolean): Promise<void> {
  if (withStorage) new AsyncLocalStorage<number>().enterWith(1);
  for (let i = 0; i < CALLS / 4; i++) await outer(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await outer(i);
  process.stdout.write(String(Number(process.hrtime.bigint() - started) / CALLS));
}

function inChild(mode: string): number {
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, mode], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return Number(run.stdout);
}

function main(): void {
  const perCall = inChild('count');
  const without: number[] = [];
  const withStorage: number[] = [];
  console.log(`${perCall} promises per call; ns per promise:`);
  console.log('round  no AsyncLocalStorage | one entered | added');
  for (let r = 1; r <= ROUNDS; r++) {
    const a = inChild('without') / perCall;
    const b = inChild('with') / perCall;
    without.push(a);
    withStorage.push(b);
    console.log(
      `${String(r).padStart(5)}  ${a.toFixed(0).padStart(20)} | ${b.toFixed(0).padStart(11)} | ${(b - a).toFixed(0)}`,
    );
  }
  const ascending = (x: number, y: number) => x - y;
  const a = percentile(without.sort(ascending), 0.5);
  const b = percentile(withStorage.sort(ascending), 0.5);
  console.log(`median ${a.toFixed(0).padStart(20)} | ${b.toFixed(0).padStart(11)} | ${(b - a).toFixed(0)}`);
}

const mode = process.argv[2];
if (mode === 'count') void count();
else if (mode === 'with' || mode === 'without') void time(mode === 'with');
else main();
