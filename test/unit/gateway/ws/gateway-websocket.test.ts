import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Duplex, Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { GatewayWebSocket } from "../../../../gateway/ws/gateway-websocket.js";

/**
 * Every `end()` called on a stream that has already finished (Node builds and drops an
 * ERR_STREAM_ALREADY_FINISHED error for each), counted on the server's side only.
 */
let serverStreams = new WeakSet<object>();
let endsAfterFinish = 0;
// A socket's end() runs Duplex.prototype.end (Node copied Writable's when it loaded), the receiver's Writable's.
const originals = [Writable.prototype.end, Duplex.prototype.end] as const;

function counting(original: Writable["end"]): Writable["end"] {
  return function (this: Writable, ...args: unknown[]) {
    if (serverStreams.has(this) && this.writableFinished) endsAfterFinish++;
    return (original as (...a: unknown[]) => Writable).apply(this, args);
  } as Writable["end"];
}

beforeEach(() => {
  serverStreams = new WeakSet();
  endsAfterFinish = 0;
  Writable.prototype.end = counting(originals[0]);
  Duplex.prototype.end = counting(originals[1]) as Duplex["end"];
});
afterEach(() => {
  Writable.prototype.end = originals[0];
  Duplex.prototype.end = originals[1];
});

interface Closed {
  readonly code: number;
  readonly reason: string;
  readonly serverCode: number;
  readonly socketDestroyed: boolean;
}

/** A ws server with `WebSocketClass`; a client connects and starts the closing handshake with `code`. */
async function clientCloses(WebSocketClass: typeof WebSocket, code: number, reason: string): Promise<Closed> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ server, WebSocket: WebSocketClass, clientTracking: false, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const serverSide = new Promise<{ ws: WebSocket; code: number }>((resolve) => {
      wss.on("connection", (ws) => {
        const internals = ws as unknown as { _socket: object; _receiver: object };
        serverStreams.add(internals._socket);
        serverStreams.add(internals._receiver);
        ws.on("close", (c: number) => resolve({ ws, code: c }));
      });
    });
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await once(client, "open");
    const clientClosed = once(client, "close") as Promise<[number, Buffer]>;
    client.close(code, reason);
    const [[clientCode, clientReason], s] = await Promise.all([clientClosed, serverSide]);
    const socket = (s.ws as unknown as { _socket: { destroyed: boolean } | null })._socket;
    return { code: clientCode, reason: clientReason.toString(), serverCode: s.code, socketDestroyed: socket === null || socket.destroyed };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("GatewayWebSocket's closing handshake", () => {
  it("ws itself, on the pinned version, ends a finished stream during a peer's close (what the class removes)", async () => {
    const closed = await clientCloses(WebSocket, 1000, "bye");
    expect(closed.serverCode).toBe(1000);
    // If this fails, ws no longer does it: GatewayWebSocket can go.
    expect(endsAfterFinish).toBeGreaterThan(0);
  });

  it("ends no finished stream, and the handshake completes exactly as ws's", async () => {
    const closed = await clientCloses(GatewayWebSocket, 4000, "done here");
    expect(closed).toEqual({ code: 4000, reason: "done here", serverCode: 4000, socketDestroyed: true });
    expect(endsAfterFinish).toBe(0);
  });

  it("keeps the server-started close as ws has it (the server's code reaches the client)", async () => {
    const server: Server = createServer();
    const wss = new WebSocketServer({ server, WebSocket: GatewayWebSocket, clientTracking: false });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      wss.on("connection", (ws) => {
        serverStreams.add((ws as unknown as { _socket: object })._socket);
        ws.close(4501, "remote login");
      });
      const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const [code, reason] = (await once(client, "close")) as [number, Buffer];
      expect([code, reason.toString()]).toEqual([4501, "remote login"]);
      expect(endsAfterFinish).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("reads the two ws fields it guards (a renamed field would silently switch the guard off)", async () => {
    const server: Server = createServer();
    const wss = new WebSocketServer({ server, WebSocket: GatewayWebSocket });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const fields = new Promise<[unknown, unknown]>((resolve) =>
        wss.on("connection", (ws) => {
          const internals = ws as unknown as { _socket: unknown; _receiver: unknown };
          resolve([internals._socket, internals._receiver]);
          ws.terminate();
        }),
      );
      const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      client.on("error", () => {});
      const [socket, receiver] = await fields;
      expect(socket).toBeInstanceOf(Writable);
      expect(receiver).toBeInstanceOf(Writable);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("GatewayWebSocket's automatic pongs", () => {
  /** A ws server with `WebSocketClass`; resolves with the server's side of one client connection and the client. */
  async function connect(WebSocketClass: typeof WebSocket): Promise<{ serverWs: WebSocket; client: WebSocket; close: () => Promise<void> }> {
    const server: Server = createServer();
    const wss = new WebSocketServer({ server, WebSocket: WebSocketClass, clientTracking: false, perMessageDeflate: false });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const serverSide = new Promise<WebSocket>((resolve) => wss.on("connection", resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    client.on("error", () => {});
    await once(client, "open");
    const serverWs = await serverSide;
    return {
      serverWs,
      client,
      close: async () => {
        client.terminate();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it("ws itself, on the pinned version, gives each connection its own pong callback (what the class removes)", async () => {
    const c = await connect(WebSocket);
    try {
      expect(Object.hasOwn(c.serverWs, "_autoPongComplete")).toBe(true);
      expect((c.serverWs as unknown as { _pendingAutoPongs: unknown })._pendingAutoPongs).toBe(0);
    } finally {
      await c.close();
    }
  });

  it("holds no pong callback of its own, and the pending count falls as each pong is written (100 pings, over ws's limit of 60)", async () => {
    const c = await connect(GatewayWebSocket);
    try {
      expect(Object.hasOwn(c.serverWs, "_autoPongComplete")).toBe(false);
      const internals = c.serverWs as unknown as { _pendingAutoPongs: number };
      // Were the count not lowered, ws would destroy the socket at the 61st ping.
      const closed = once(c.client, "close").then(() => {
        throw new Error(`closed after ${answered} pongs`);
      });
      closed.catch(() => {});
      let answered = 0;
      for (let i = 0; i < 100; i++) {
        const pong = once(c.client, "pong") as Promise<[Buffer]>;
        c.client.ping(`p${i}`);
        const [data] = await Promise.race([pong, closed]);
        expect(data.toString()).toBe(`p${i}`);
        answered++;
      }
      expect(c.serverWs.readyState).toBe(WebSocket.OPEN);
      expect(internals._pendingAutoPongs).toBe(0);
    } finally {
      await c.close();
    }
  });

  it("still destroys the socket of a peer whose pongs pile up unwritten (ws's limit, here 2)", async () => {
    const server: Server = createServer();
    const wss = new WebSocketServer({ server, WebSocket: GatewayWebSocket, clientTracking: false, perMessageDeflate: false, maxPendingAutoPongs: 2 } as ConstructorParameters<typeof WebSocketServer>[0]);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const serverSide = new Promise<WebSocket>((resolve) => wss.on("connection", resolve));
      const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      client.on("error", () => {});
      await once(client, "open");
      const serverWs = await serverSide;
      // A corked socket completes no write, so no pong callback runs and the count only rises.
      (serverWs as unknown as { _socket: Duplex })._socket.cork();
      const closed = once(client, "close") as Promise<[number]>;
      for (let i = 0; i < 3; i++) client.ping();
      const [code] = await closed;
      expect(code).toBe(1006);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
