import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';

/**
 * Lets the requests under way finish before the database closes. Nest closes the HTTP server
 * after the shutdown hooks, and Node's `server.close()` waits for every connection to end: a
 * client that keeps its connection busy (LINE posts webhooks back to back on keep-alive
 * connections) held shutdown for as long as it kept sending, and a webhook whose client had gone
 * was still being stored when the database closed under it. At shutdown this stops accepting
 * connections, answers everything from then on with `Connection: close`, and waits, at most the
 * grace period, for each request and the work it tracked (`track`) to end; then closes what is
 * left, and shutdown goes on.
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(HttpDrain.name);
  private readonly graceMs: number;
  private server?: Server;
  private closing = false;
  /** Requests whose response is not closed, and work that goes on after it may be. */
  private readonly inFlight = new Set<ServerResponse | Promise<unknown>>();
  private idle?: () => void;

  constructor(config: ConfigService<Settings, true>) {
    this.graceMs = config.get('webhook', { infer: true }).shutdownGraceMs;
  }

  /** Call once every request listener is in place: they run inside this one. */
  attach(server: Server): void {
    this.server = server;
    const listeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.inFlight.add(res);
      res.once('close', () => this.done(res));
      if (this.closing) res.setHeader('connection', 'close');
      for (const listener of listeners) listener.call(server, req, res);
    });
  }

  /** Work a request goes on with even if its client leaves (storing a webhook): shutdown waits for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.done(work);
    work.then(forget, forget);
    return work;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server || this.closing) return;
    this.closing = true;
    server.close(); // also closes the idle keep-alive connections
    for (const entry of this.inFlight) {
      if (isResponse(entry) && !entry.headersSent) entry.setHeader('connection', 'close');
    }
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const drained = new Promise<void>((resolve) => (this.idle = resolve));
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.graceMs)));
      await Promise.race([drained, grace]);
      clearTimeout(timer);
    }
    if (this.inFlight.size > 0) {
      this.logger.warn(
        { requests: this.inFlight.size },
        'Shutdown: requests still under way after the grace period were cut off',
      );
    }
    server.closeAllConnections();
  }

  private done(entry: ServerResponse | Promise<unknown>): void {
    this.inFlight.delete(entry);
    if (this.inFlight.size === 0) this.idle?.();
  }
}

function isResponse(entry: ServerResponse | Promise<unknown>): entry is ServerResponse {
  return !(entry instanceof Promise);
}
