/**
 * A TCP proxy on 127.0.0.1 in front of one port, to cut a single client off a server that stays
 * up (`cut`), or to make the link silently dead (`freeze`: connections stay open, nothing passes).
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Closes every proxied connection; new ones are closed at once. */
  cut(): void;
  /** Keeps connections open but forwards nothing, in either direction. */
  freeze(): void;
  /** Forwards again (connections frozen before are closed, so clients reconnect). */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  let mode: "open" | "cut" | "frozen" = "open";
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    if (mode === "cut") {
      client.destroy();
      return;
    }
    const upstream = createConnection(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.on("data", (d) => {
      if (mode === "open") upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (mode === "open") client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const destroyAll = (): void => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    cut() {
      mode = "cut";
      destroyAll();
    },
    freeze() {
      mode = "frozen";
    },
    restore() {
      if (mode === "frozen") destroyAll();
      mode = "open";
    },
    async close() {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
