'use strict';
/**
 * The baseline of `npm run bench:webhook`: LINE's documented set-up, an Express app with
 * @line/bot-sdk's own middleware (signature check over the raw bytes, JSON parse) answering 200,
 * with no storage and no processing. Run as a child process so its RSS is its own.
 */
const express = require('express');
const { middleware } = require('@line/bot-sdk');

const app = express();
app.post('/webhook', middleware({ channelSecret: process.env.LINE_CHANNEL_SECRET }), (req, res) => {
  res.json({});
});
app.use((err, _req, res, _next) => {
  res
    .status(err && err.name === 'SignatureValidationFailed' ? 401 : 400)
    .json({ error: String(err && err.message) });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
  if (process.send) process.send('ready');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
