import { Agent, request } from 'node:http';
import { signBody } from '../fake-line/webhook';

/**
 * One signed webhook on `agent`'s keep-alive connections, as LINE posts them. Answers the HTTP status,
 * or the error code of a request that got no answer (refused, reset).
 */
export function postOnAgent(port: number, agent: Agent, body: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: 'POST',
        path: '/webhook',
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': signBody(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end(body);
  });
}
