import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigService } from '@nestjs/config';
import { HttpDrain } from './http-drain';

const GRACE_MS = 300;

function drainWithGrace(graceMs: number): HttpDrain {
  const config = { get: () => ({ shutdownGraceMs: graceMs }) } as unknown as ConfigService;
  return new HttpDrain(config as never);
}

/** A server whose every request starts `work` (tracked) and answers when it ends. */
async function serve(drain: HttpDrain, work: () => Promise<void>): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    void drain.track(work()).then(() => res.end('ok'));
  });
  drain.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sendAndAbort = (port: number) =>
  new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' });
    req.on('error', () => undefined);
    req.end('x', () => setTimeout(() => (req.destroy(), resolve()), 50));
  });

describe('HttpDrain', () => {
  it('waits at shutdown for work whose client has already left', async () => {
    const drain = drainWithGrace(5000);
    const storing = deferred();
    let started = 0;
    const { server, port } = await serve(drain, () => (started++, storing.promise));
    await sendAndAbort(port);
    expect(started).toBe(1);

    let shutDown = false;
    const shutdown = drain.beforeApplicationShutdown().then(() => (shutDown = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(shutDown).toBe(false);
    storing.resolve();
    await shutdown;
    expect(shutDown).toBe(true);
    expect(server.listening).toBe(false);
  });

  it('goes on after the grace period when work never ends, and closes its connections', async () => {
    const drain = drainWithGrace(GRACE_MS);
    const { server, port } = await serve(drain, () => new Promise<void>(() => undefined));
    const answer = new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' }, () => resolve('answered'));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      req.end('x');
    });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await drain.beforeApplicationShutdown();
    expect(Date.now() - started).toBeGreaterThanOrEqual(GRACE_MS - 10);
    expect(await answer).toBe('ECONNRESET');
    expect(server.listening).toBe(false);
  });
});
