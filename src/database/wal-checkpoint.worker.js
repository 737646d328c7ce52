'use strict';
/**
 * Runs in a worker thread started by WalCheckpointer: copies the SQLite write-ahead log into the
 * database file, with its own connection, so that the copy and its fsyncs happen off the event
 * loop. A PASSIVE checkpoint neither waits for nor blocks the app's readers and writer.
 */
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const { file, busyMs, idleMs } = workerData;
const db = new Database(file, { fileMustExist: true });
// The checkpointing connection's setting decides how a checkpoint syncs: WAL first, file after.
db.pragma('synchronous = NORMAL');
// A checkpoint copies pages without reading them through the cache.
db.pragma('cache_size = -256');

let timer;
const pass = () => {
  const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
  // Frames were left (committed meanwhile, or kept by a reader's snapshot): look again soon.
  timer = setTimeout(pass, checkpointed < log ? busyMs : idleMs);
};

parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
pass();
