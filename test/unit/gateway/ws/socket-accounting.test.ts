import { EventEmitter } from "node:events";
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { expect, it } from "vitest";
import { SocketAccounting } from "../../../../gateway/ws/socket-accounting.js";

class FakeSocket extends EventEmitter {
  destroyed = false;
  readonly remoteAddress: string;
  constructor(remoteAddress: string) {
    super();
    this.remoteAddress = remoteAddress;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
}

function setup(max: number, perIp: number) {
  const server = new EventEmitter() as EventEmitter & { maxConnections?: number };
  const acc = new SocketAccounting(max, perIp);
  acc.attach(server as unknown as Server, 4);
  const accept = (ip = "10.0.0.1"): FakeSocket => {
    const s = new FakeSocket(ip);
    server.emit("connection", s);
    return s;
  };
  return { server, acc, accept };
}

it("the server accepts at most MAX_CONNECTIONS + reserve sockets", () => {
  const { server } = setup(10, 0);
  expect(server.maxConnections).toBe(14);
});

it("a WebSocket counts from admission until its descriptor is released, not until the session ends", () => {
  const { acc, accept } = setup(2, 0);
  const a = accept();
  const b = accept();
  const c = accept();
  expect(acc.admit(a as unknown as Duplex)).toBeNull();
  expect(acc.admit(b as unknown as Duplex)).toBeNull();
  expect(acc.admit(c as unknown as Duplex)).toEqual({ status: 503, reason: "max_connections" });
  expect(acc.counts()).toEqual({ total: 3, websocket: 2 });
  a.destroy(); // the descriptor is released
  expect(acc.counts()).toEqual({ total: 2, websocket: 1 });
  const d = accept();
  expect(acc.admit(d as unknown as Duplex)).toBeNull();
});

it("per IP: every open socket of an address counts, refused ones and plain HTTP ones too, until released", () => {
  const { acc, accept } = setup(100, 2);
  const a1 = accept("10.0.0.1");
  const a2 = accept("10.0.0.1");
  const a3 = accept("10.0.0.1");
  const b1 = accept("10.0.0.2");
  expect(acc.admit(a1 as unknown as Duplex)).toEqual({ status: 429, reason: "per_ip_connections" }); // 3 open > 2
  a3.destroy();
  expect(acc.admit(a1 as unknown as Duplex)).toBeNull();
  expect(acc.admit(a2 as unknown as Duplex)).toBeNull();
  expect(acc.admit(b1 as unknown as Duplex)).toBeNull();
  a1.destroy();
  a2.destroy();
  b1.destroy();
  expect(acc.counts()).toEqual({ total: 0, websocket: 0 });
});

it("destroyWebSockets() destroys what remains (the end of a drain), and only WebSockets", () => {
  const { acc, accept } = setup(10, 0);
  const ws = [accept(), accept(), accept()];
  const http = accept();
  for (const s of ws) acc.admit(s as unknown as Duplex);
  expect(acc.destroyWebSockets()).toBe(3);
  expect(ws.every((s) => s.destroyed)).toBe(true);
  expect(http.destroyed).toBe(false);
  expect(acc.counts()).toEqual({ total: 1, websocket: 0 });
});

it("a handed-over WebSocket counts until its owner reports the release, and its socket keeps no accounting listener", () => {
  const { acc, accept } = setup(10, 2);
  const a = accept("10.0.0.1");
  const b = accept("10.0.0.1");
  expect(acc.admit(a as unknown as Duplex)).toBeNull();
  expect(a.listenerCount("close")).toBe(1);
  acc.handOver(a as unknown as Duplex);
  expect(a.listenerCount("close")).toBe(0);
  a.destroy(); // the socket's close: no longer heard here
  expect(acc.counts()).toEqual({ total: 2, websocket: 1 });
  const c = accept("10.0.0.1"); // a third socket of the address: over the per-IP limit while a still counts
  expect(acc.admit(c as unknown as Duplex)).toEqual({ status: 429, reason: "per_ip_connections" });
  acc.releasedWebSocket(a as unknown as Duplex); // the WebSocket's close
  expect(acc.counts()).toEqual({ total: 2, websocket: 0 });
  expect(acc.admit(c as unknown as Duplex)).toBeNull();
  b.destroy();
  c.destroy();
  expect(acc.counts()).toEqual({ total: 0, websocket: 0 });
});

it("a drain destroys the sockets no session holds, those a session holds (given), and gateway-closed ones until released", () => {
  const { acc, accept } = setup(10, 0);
  const [upgrading, owned, closed, gone] = [accept(), accept(), accept(), accept()];
  const http = accept();
  for (const s of [upgrading, owned, closed, gone]) expect(acc.admit(s as unknown as Duplex)).toBeNull();
  for (const s of [owned, closed, gone]) acc.handOver(s as unknown as Duplex);
  acc.closing(closed as unknown as Duplex); // the gateway closed its session; the peer has not answered
  acc.closing(gone as unknown as Duplex);
  gone.destroy();
  acc.releasedWebSocket(gone as unknown as Duplex);
  expect(acc.counts()).toEqual({ total: 4, websocket: 3 });
  expect(acc.destroyWebSockets()).toBe(2); // no session given: upgrading and closed
  expect([upgrading.destroyed, owned.destroyed, closed.destroyed]).toEqual([true, false, true]);
  expect(acc.destroyWebSockets([owned as unknown as Duplex, closed as unknown as Duplex])).toBe(2); // closed is still counted (no release yet), once
  expect(owned.destroyed).toBe(true);
  expect(http.destroyed).toBe(false);
  // The socket not handed over was released by its own close; the others by their WebSockets' close.
  acc.releasedWebSocket(owned as unknown as Duplex);
  acc.releasedWebSocket(closed as unknown as Duplex);
  expect(acc.counts()).toEqual({ total: 1, websocket: 0 });
  expect(acc.destroyWebSockets()).toBe(0);
});
