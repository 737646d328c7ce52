import { AddressInfo, connect, createServer, Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1:<ephemeral> in front of a real server (MariaDB), for tests of what the
 * app does when its database connection goes away: `cut()` resets every open connection and every
 * new one until `restore()`, as a server that went down (or a network that dropped) would.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections forwarded so far (accepted while not cut). */
  readonly accepted: number;
  /** Connections reset by `cut()` or refused while cut. */
  readonly reset: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<[client: Socket, upstream: Socket]>();
  let cut = false;
  let accepted = 0;
  let reset = 0;
  const server = createServer({ noDelay: true }, (client) => {
    if (cut) {
      reset++;
      return void client.resetAndDestroy();
    }
    accepted++;
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
    client.pipe(upstream);
    upstream.pipe(client);
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
      for (const [client, upstream] of open) {
        reset++;
        // A reset, not a FIN: the app sees the connection fail, not a server that said goodbye.
        client.resetAndDestroy();
        upstream.destroy();
      }
      open.clear();
    },
    restore() {
      cut = false;
    },
    close() {
      for (const [client, upstream] of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
