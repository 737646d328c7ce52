'use strict';
/**
 * Runs in a worker thread started by WalCheckpointer: copies the SQLite write-ahead log into the
 * database file, with its own connection, so that the copy and its fsyncs happen off the event
 * loop. A PASSIVE checkpoint neither waits for nor blocks the app's readers and writer.
 *
 * SQLite starts the WAL over only when a write begins with every frame copied, which sustained
 * writes never leave time for: once the WAL holds `quietFrames` and the thread has nearly caught
 * up, it asks the app for a quiet moment ('quiet'). The app holds its background writes and sends
 * 'quiet-go': this copies the frames left and answers 'quiet-done'; then it holds every write and
 * sends 'quiet-end': this copies the few frames webhook commits added meanwhile, answers
 * 'quiet-done' and may ask again. The app's next write starts the WAL over.
 */
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const { file, busyMs, idleMs, quietFrames } = workerData;
const db = new Database(file, { fileMustExist: true });
// The checkpointing connection's setting decides how a checkpoint syncs: WAL first, file after.
db.pragma('synchronous = NORMAL');
// A checkpoint copies pages without reading them through the cache.
db.pragma('cache_size = -256');

/** Frames a pass may leave behind and still ask for a quiet moment (sustained writes leave some). */
const QUIET_LEFT = 256;
let timer;
let asked = false;
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0];

const pass = () => {
  const { log, checkpointed } = checkpoint();
  // Nearly caught up: what a quiet moment copies is then what was committed since, a few pages.
  if (!asked && log >= quietFrames && log - checkpointed <= QUIET_LEFT) {
    asked = true;
    parentPort.postMessage('quiet');
  }
  // Frames were left (committed meanwhile, or kept by a reader's snapshot), or the WAL is due to
  // start over and the thread must catch up first: look again soon.
  timer = setTimeout(pass, checkpointed < log || log >= quietFrames ? busyMs : idleMs);
};

let stopped = false;
parentPort.on('message', (message) => {
  // A quiet moment asked for just before shutdown may be granted after it: the connection is closed.
  if (stopped) return;
  if (message === 'quiet-go') {
    // No passes until 'quiet-end': one under way when it comes would keep every write waiting.
    clearTimeout(timer);
    checkpoint();
    parentPort.postMessage('quiet-done');
    return;
  }
  if (message === 'quiet-end') {
    checkpoint();
    asked = false;
    parentPort.postMessage('quiet-done');
    timer = setTimeout(pass, busyMs);
    return;
  }
  if (message !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
pass();
