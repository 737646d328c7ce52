import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { describeAndLog } from '../common/filters/all-exceptions.filter';
import { errorBody } from '../common/filters/error-body';
import type { HttpDrain } from '../common/http-drain';
import { WebhookService } from './webhook.service';

const JSON_TYPE = 'application/json; charset=utf-8';
/** After a 413: how long, and how much more of the body, is read and dropped before the connection is cut. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Serves POST /webhook straight from the HTTP server, ahead of Express and Nest. The route takes
 * no user, role, DTO or session, and it is the one LINE calls thousands of times a second in a
 * busy hour: routing, middleware and the per-request logger cost more than storing the events
 * (see the README's benchmark). Every other request goes to the app as before. Errors leave as
 * `{"error"}` with the statuses the global filter gives.
 */
export function serveWebhook(
  server: Server,
  webhook: WebhookService,
  drain: HttpDrain,
  maxBodyBytes: number,
): void {
  const logger = new Logger('WebhookRoute');
  const app = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && isWebhookPath(req.url)) return receive(req, res);
    for (const listener of app) listener.call(server, req, res);
  });

  const answer = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': JSON_TYPE });
    res.end(body);
  };
  const fail = (res: ServerResponse, err: unknown): void => {
    const { status, message } = describeAndLog(err, logger);
    if (res.headersSent) return void res.destroy();
    answer(res, status, JSON.stringify(errorBody(message)));
  };
  /**
   * Answers 413 at once, then reads and drops the rest of the body, for a while and up to a bound,
   * before the connection may close: a connection closed with bytes unread is reset, and a client
   * still sending would meet the reset instead of reading the answer. Past the bound it is closed.
   */
  const tooLarge = (req: IncomingMessage, res: ServerResponse): void => {
    answer(res, 413, JSON.stringify(errorBody('Request body too large')));
    let dropped = 0;
    const cut = () => req.destroy();
    const timer = setTimeout(cut, LINGER_MS).unref();
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) cut();
    });
    req.once('close', () => clearTimeout(timer));
  };

  // Raw bytes: the signature is computed over them, not over a re-serialized object.
  function receive(req: IncomingMessage, res: ServerResponse): void {
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding !== 'identity') {
      return answer(res, 415, JSON.stringify(errorBody('Unsupported body encoding')));
    }
    if (Number(req.headers['content-length']) > maxBodyBytes) return tooLarge(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
      else if (!res.headersSent) tooLarge(req, res);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > maxBodyBytes) return;
      // Tracked: a webhook whose client has left is still being stored; shutdown waits for it.
      drain.track(webhook.receive(Buffer.concat(chunks, size), req.headers['x-line-signature'])).then(
        () => answer(res, 200, '{}'),
        (err: unknown) => fail(res, err),
      );
    });
  }
}

/** /webhook as Express matched it: a trailing slash and a query string are allowed. */
function isWebhookPath(url: string | undefined): boolean {
  if (!url) return false;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path === '/webhook' || path === '/webhook/';
}
