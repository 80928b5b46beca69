/**
 * The in-process peer (gateway/ws/in-process-peer.ts): a client connection to a gateway's session
 * manager without a socket, as the rehearsal's own gateway uses it (docs/rehearsal.md). Frames go
 * both ways asynchronously and in order; each side hears exactly one close, with the code a
 * WebSocket would give: 1000 for the client's close, the gateway's own code (byServer) for its
 * close, 1006 for a destroy. test/load/population-runner.test.ts holds whole population runs over
 * it to the same results as over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConnectionFailure, RawWsHandler } from "../../client/load/raw-ws-connection.js";
import { maskedFrame, maskedTextFrame } from "../../client/load/ws-frames.js";
import { connectInProcess, maskedTextPayload } from "../../gateway/ws/in-process-peer.js";
import { APPS, startHarness, type Harness } from "../support/gateway-harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ journalSize: 0 });
});
afterAll(async () => {
  await h?.close();
});

/** A handler that records what it hears, in order. */
class Recorder implements RawWsHandler {
  readonly events: string[] = [];
  readonly texts: string[] = [];
  closes: Array<{ code: number; byServer: boolean; failure: ConnectionFailure | null }> = [];
  onOpen(): void {
    this.events.push("open");
  }
  onText(payload: Buffer, start: number, end: number): void {
    const text = payload.toString("utf8", start, end);
    this.texts.push(text);
    this.events.push(`text ${text.slice(0, 40)}`);
  }
  onClose(code: number, byServer: boolean, failure: ConnectionFailure | null): void {
    this.closes.push({ code, byServer, failure });
    this.events.push(`close ${code}`);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const loginFrame = (uid: string): Buffer =>
  maskedTextFrame(JSON.stringify({ id: 1, op: "login", appId: APPS.token.appId, uid, token: h.token("token", uid), profile: "rtm1" }));

/** Opens a connection and logs `uid` in; returns the recorder, the client end and the session id. */
async function loggedIn(uid: string) {
  const rec = new Recorder();
  const client = connectInProcess(h.gateway.sessions, rec);
  await tick();
  client.send(loginFrame(uid));
  await tick();
  const reply = JSON.parse(rec.texts.at(-1)!) as { ok: boolean; result: { sessionId: string } };
  expect(reply.ok).toBe(true);
  return { rec, client, sessionId: reply.result.sessionId };
}

describe("maskedTextPayload", () => {
  it("unmasks a client text frame of a 7-, 16- or 64-bit length", () => {
    for (const size of [0, 1, 125, 126, 65_535, 65_536]) {
      const text = "é".repeat(size >> 1) + "x".repeat(size & 1);
      expect(maskedTextPayload(maskedTextFrame(text))).toBe(text);
    }
  });

  it("is null for every other frame: binary, control, a fragment, unmasked, truncated, trailing bytes", () => {
    const text = maskedTextFrame("hello");
    expect(maskedTextPayload(maskedFrame(0x2, Buffer.from("hello")))).toBeNull();
    expect(maskedTextPayload(maskedFrame(0x8, Buffer.from([0x03, 0xe8])))).toBeNull();
    const fragment = Buffer.from(text);
    fragment[0] = 0x01; // FIN clear
    expect(maskedTextPayload(fragment)).toBeNull();
    const unmasked = Buffer.from([0x81, 0x05, ...Buffer.from("hello")]);
    expect(maskedTextPayload(unmasked)).toBeNull();
    expect(maskedTextPayload(text.subarray(0, text.length - 1))).toBeNull();
    expect(maskedTextPayload(Buffer.concat([text, Buffer.from([0])]))).toBeNull();
  });
});

describe("connectInProcess", () => {
  it("opens in a later microtask; a login's events and reply arrive in order, none inside the client's send", async () => {
    const before = h.gateway.sessions.connectionCount;
    const rec = new Recorder();
    const client = connectInProcess(h.gateway.sessions, rec);
    expect(rec.events).toEqual([]);
    expect(h.gateway.sessions.connectionCount).toBe(before + 1);
    await tick();
    expect(rec.events).toEqual(["open"]);
    client.send(loginFrame("peer-order"));
    expect(rec.texts).toEqual([]);
    await tick();
    expect(rec.texts.map((t) => (JSON.parse(t) as { event?: string; state?: string; id?: number }).state ?? `reply ${(JSON.parse(t) as { id: number }).id}`)).toEqual([
      "CONNECTING",
      "CONNECTED",
      "reply 1",
    ]);
    client.close();
    await tick();
  });

  it("a frame sent before the open is dropped, as a socket drops it before the upgrade", async () => {
    const rec = new Recorder();
    const client = connectInProcess(h.gateway.sessions, rec);
    client.send(loginFrame("peer-early"));
    await tick();
    expect(rec.texts).toEqual([]);
    expect(h.gateway.sessions.list({ uid: "peer-early" })).toEqual([]);
    client.close();
    await tick();
  });

  it("the client's close: 1000 on both sides, once; the session is gone and later sends do nothing", async () => {
    const { rec, client } = await loggedIn("peer-close");
    const count = h.gateway.sessions.connectionCount;
    client.close();
    client.close();
    await tick();
    expect(rec.closes).toEqual([{ code: 1000, byServer: false, failure: null }]);
    expect(h.gateway.sessions.connectionCount).toBe(count - 1);
    expect(h.gateway.sessions.list({ uid: "peer-close" })).toEqual([]);
    client.send(maskedTextFrame('{"id":2,"op":"logout"}'));
    await tick();
    expect(rec.events.at(-1)).toBe("close 1000");
  });

  it("the gateway's close (a kick): its code, byServer, once; the manager forgets the connection", async () => {
    const { rec, client, sessionId } = await loggedIn("peer-kick");
    const count = h.gateway.sessions.connectionCount;
    expect(h.gateway.sessions.kick(sessionId)).toBe(true);
    await tick();
    expect(rec.closes).toEqual([{ code: 4502, byServer: true, failure: null }]);
    expect(h.gateway.sessions.connectionCount).toBe(count - 1);
    client.close();
    await tick();
    expect(rec.closes).toHaveLength(1);
  });

  it("the gateway's session expiry on its clock: 4503, byServer", async () => {
    const rec = new Recorder();
    const client = connectInProcess(h.gateway.sessions, rec);
    await tick();
    const uid = "peer-expiry";
    client.send(maskedTextFrame(JSON.stringify({ id: 1, op: "login", appId: APPS.token.appId, uid, token: h.token("token", uid, { expireSeconds: 60 }), profile: "rtm1" })));
    await tick();
    h.clock.advance(61);
    await tick();
    expect(rec.closes).toEqual([{ code: 4503, byServer: true, failure: null }]);
    expect(h.gateway.sessions.list({ uid })).toEqual([]);
  });

  it("a destroy: 1006 on both sides, not by the server", async () => {
    const { rec, client } = await loggedIn("peer-destroy");
    client.destroy("timeout");
    await tick();
    expect(rec.closes).toEqual([{ code: 1006, byServer: false, failure: null }]);
    expect(h.gateway.sessions.list({ uid: "peer-destroy" })).toEqual([]);
  });

  it("a binary frame is a protocol violation, as over a socket (4500)", async () => {
    const { rec, client } = await loggedIn("peer-binary");
    client.send(maskedFrame(0x2, Buffer.from([1, 2, 3])));
    await tick();
    expect(rec.closes).toEqual([{ code: 4500, byServer: true, failure: null }]);
  });
});
