'use strict';
/**
 * Preload for the app under `BENCH_COUNT_PROMISES=on` (see bench/webhook.bench.ts): counts the
 * promises the main thread creates and keeps the total in $BENCH_PROMISE_DIR/<pid>, rewritten every
 * 100 ms (Nest ends the process with the signal it got, so no exit handler would run). The count is a
 * promise hook itself: a run with it measures counts, not rates.
 */
const { createHook } = require('node:async_hooks');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { isMainThread } = require('node:worker_threads');

const dir = process.env.BENCH_PROMISE_DIR;
if (isMainThread && dir) {
  const file = join(dir, String(process.pid));
  let promises = 0;
  createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
    },
  }).enable();
  setInterval(() => writeFileSync(file, String(promises)), 100).unref();
}
