import net, { type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as wsModule from "ws";
import { addToBatch, beginBatch, discardBatch, endBatch, flushBatch, frameAll, isBatching } from "../../../../gateway/ws/frame-batch.js";
import { startHarness, APPS, type Harness } from "../../../support/gateway-harness.js";

// ws exports its Sender and Receiver (ws/wrapper.mjs); @types/ws does not declare them.
const { Receiver, Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: object): Buffer[] };
  Receiver: new (options: object) => NodeJS.EventEmitter & { write(chunk: Buffer): void };
};

/** What ws writes for `send(payload, { binary: false })` with compression off, as one buffer. */
function wsFrame(payload: string | Buffer): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const parts = Sender.frame(data, { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
  return Buffer.concat(parts);
}

/** Parses frames with ws's own receiver (client side: server frames are unmasked). */
function parse(bytes: Buffer): string[] {
  const out: string[] = [];
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  receiver.on("message", (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    out.push(data.toString("utf8"));
  });
  receiver.on("error", (err: Error) => {
    throw err;
  });
  receiver.write(bytes);
  return out;
}

describe("frameAll", () => {
  // Every length class of RFC 6455 §5.2 and its edges: 7-bit, 16-bit (126 … 65535), 64-bit.
  const lengths = [0, 1, 125, 126, 127, 1000, 65_535, 65_536, 200_000];

  it.each(lengths)("a %i-byte payload is framed byte for byte as ws frames it", (len) => {
    const buf = Buffer.alloc(len, 0x61);
    expect(frameAll([buf]).equals(wsFrame(buf))).toBe(true);
    const str = "x".repeat(len);
    expect(frameAll([str]).equals(wsFrame(str))).toBe(true);
  });

  it("strings are UTF-8 encoded (multi-byte characters count in bytes, not UTF-16 units)", () => {
    const s = `{"message":"é✓😀${"ü".repeat(70)}"}`; // 125 < bytes, < 126 characters
    expect(Buffer.byteLength(s)).toBeGreaterThan(126);
    expect(s.length).toBeLessThan(126);
    expect(frameAll([s]).equals(wsFrame(s))).toBe(true);
    expect(parse(frameAll([s]))).toEqual([s]);
  });

  it("several payloads become consecutive frames, in order, which ws's receiver reads back", () => {
    const payloads = ['{"event":"a"}', Buffer.from('{"event":"b"}'), "", "z".repeat(300), Buffer.alloc(70_000, 0x62)];
    const out = frameAll(payloads);
    expect(out.equals(Buffer.concat(payloads.map(wsFrame)))).toBe(true);
    expect(parse(out)).toEqual(payloads.map((p) => p.toString()));
  });
});

/** A socket stand-in that records writes. */
function fakeSocket(): Socket & { writes: Buffer[] } {
  const writes: Buffer[] = [];
  return { writes, destroyed: false, writable: true, write: (b: Buffer) => (writes.push(b), true) } as unknown as Socket & { writes: Buffer[] };
}

describe("the batch", () => {
  it("collects a request's frames and writes them once, in order, when the request ends", () => {
    const s = fakeSocket();
    expect(beginBatch(s)).toBe(true);
    expect(isBatching(s)).toBe(true);
    addToBatch(Buffer.from("1"));
    addToBatch("2");
    addToBatch("3");
    expect(s.writes).toHaveLength(0);
    endBatch(s);
    expect(s.writes).toHaveLength(1);
    expect(parse(s.writes[0] as Buffer)).toEqual(["1", "2", "3"]);
    expect(isBatching(s)).toBe(false);
  });

  it("one batch at a time: a second socket is refused while one is collected, and can batch after it", () => {
    const a = fakeSocket();
    const b = fakeSocket();
    expect(beginBatch(a)).toBe(true);
    expect(beginBatch(b)).toBe(false);
    expect(isBatching(b)).toBe(false);
    endBatch(b); // not the owner: no effect
    expect(isBatching(a)).toBe(true);
    endBatch(a);
    expect(beginBatch(b)).toBe(true);
    endBatch(b);
    expect(a.writes).toHaveLength(0);
    expect(b.writes).toHaveLength(0);
  });

  it("a flush writes what was collected so far (before a close frame) and keeps collecting", () => {
    const s = fakeSocket();
    beginBatch(s);
    addToBatch("a");
    flushBatch(s);
    addToBatch("b");
    endBatch(s);
    expect(s.writes.map((w) => parse(w))).toEqual([["a"], ["b"]]);
  });

  it("a discarded batch writes nothing; a destroyed socket is not written to", () => {
    const s = fakeSocket();
    beginBatch(s);
    addToBatch("a");
    discardBatch(s);
    endBatch(s);
    expect(s.writes).toHaveLength(0);
    const d = fakeSocket();
    beginBatch(d);
    addToBatch("a");
    (d as { destroyed: boolean }).destroyed = true;
    endBatch(d);
    expect(d.writes).toHaveLength(0);
    expect(beginBatch(fakeSocket())).toBe(true); // the owner was released
    endBatch(fakeSocket());
  });
});

describe("on the wire", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  /** A raw client: upgrade, then the bytes of each TCP read after sending `frames`. */
  async function rawLogin(frames: object[]): Promise<{ socket: Socket; chunks: Buffer[] }> {
    const port = h.gateway.port;
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.write(`GET /rtm HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      let head = Buffer.alloc(0);
      const onHead = (d: Buffer): void => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onHead);
        expect(head.subarray(0, 12).toString()).toBe("HTTP/1.1 101");
        socket.on("data", (c: Buffer) => chunks.push(c));
        for (const f of frames) socket.write(maskedText(JSON.stringify(f)));
        resolve();
      };
      socket.on("data", onHead);
    });
    return { socket, chunks };
  }

  it("a login's state events and reply arrive as one TCP read, in the profile's order", async () => {
    const uid = "batch-user";
    const { socket, chunks } = await rawLogin([{ id: 1, op: "login", profile: "rtm2", appId: APPS.token.appId, uid, token: h.token("token", uid) }]);
    await waitFor(() => chunks.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    // One write of three frames: the loopback delivers it in one read.
    expect(chunks).toHaveLength(1);
    const messages = parse(chunks[0] as Buffer).map((m) => JSON.parse(m) as Record<string, unknown>);
    expect(messages.map((m) => m["event"] ?? m["op"])).toEqual(["linkState", "linkState", "login"]);
    expect(messages[0]).toMatchObject({ currentState: "CONNECTING", previousState: "IDLE" });
    expect(messages[1]).toMatchObject({ currentState: "CONNECTED", previousState: "CONNECTING" });
    expect(messages[2]).toMatchObject({ id: 1, ok: true, op: "login" });
    socket.destroy();
  });

  it("a refusal that closes the connection sends its error frame before the close frame", async () => {
    // A binary frame is a protocol violation: one error frame, then close 4500.
    const { socket, chunks } = await rawLogin([]);
    socket.write(Buffer.from([0x82, 0x81, 0, 0, 0, 0, 0x00]));
    await waitFor(() => Buffer.concat(chunks).includes(Buffer.from([0x88])));
    const bytes = Buffer.concat(chunks);
    const text = bytes.indexOf(0x81);
    const close = bytes.indexOf(0x88);
    expect(text).toBe(0);
    expect(close).toBeGreaterThan(text);
    expect(bytes.readUInt16BE(close + 2)).toBe(4500);
    socket.destroy();
  });
});

function maskedText(payload: string): Buffer {
  const data = Buffer.from(payload, "utf8");
  const mask = Buffer.from([1, 2, 3, 4]);
  const len = data.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = (data[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([head, mask, body]);
}

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}
