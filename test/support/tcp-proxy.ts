import { AddressInfo, connect, createServer, Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1:<ephemeral> in front of a real server (MariaDB), for tests of what the
 * app does when its database connection goes away: `cut()` resets every open connection and every
 * new one until `restore()`, as a server that went down (or a network that dropped) would.
 * `stall()` stops forwarding in both directions without closing anything, as a network partition
 * does (packets neither delivered nor refused): what was sent is held, and new connections are
 * accepted but go nowhere; `restore()` forwards what was held and carries on.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections forwarded so far (accepted while not cut). */
  readonly accepted: number;
  /** Connections reset by `cut()` or refused while cut. */
  readonly reset: number;
  cut(): void;
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<[client: Socket, upstream: Socket]>();
  /** Accepted during a stall, with what drops it if it goes: connected to the server once it ends. */
  const held = new Map<Socket, () => void>();
  let cut = false;
  let stalled = false;
  let accepted = 0;
  let reset = 0;
  const forward = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  /** Bytes already read stay in each socket's buffer, the rest in the kernel's: nothing is lost. */
  const hold = ([client, upstream]: [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const link = (client: Socket) => {
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    const pair: [Socket, Socket] = [client, upstream];
    open.add(pair);
    const end = () => {
      open.delete(pair);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    forward(pair);
  };
  const server = createServer({ noDelay: true }, (client) => {
    if (cut) {
      reset++;
      return void client.resetAndDestroy();
    }
    accepted++;
    if (!stalled) return link(client);
    client.pause();
    const drop = () => {
      held.delete(client);
      if (!client.destroyed) client.destroy();
    };
    held.set(client, drop);
    client.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get accepted() {
      return accepted;
    },
    get reset() {
      return reset;
    },
    cut() {
      cut = true;
      stalled = false;
      for (const [client, upstream] of open) {
        reset++;
        // A reset, not a FIN: the app sees the connection fail, not a server that said goodbye.
        client.resetAndDestroy();
        upstream.destroy();
      }
      open.clear();
      for (const client of held.keys()) {
        reset++;
        client.resetAndDestroy();
      }
      held.clear();
    },
    stall() {
      if (cut || stalled) return;
      stalled = true;
      for (const pair of open) hold(pair);
    },
    restore() {
      cut = false;
      if (!stalled) return;
      stalled = false;
      for (const pair of open) forward(pair);
      for (const [client, drop] of held) {
        client.off('error', drop).off('close', drop);
        link(client);
      }
      held.clear();
    },
    close() {
      for (const [client, upstream] of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
      for (const client of held.keys()) client.destroy();
      held.clear();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
