/**
 * The RFC 6455 client side, reduced to what a load generator needs on a raw `net.Socket`:
 *
 *  - a pre-serialised HTTP/1.1 upgrade request with a FIXED Sec-WebSocket-Key (the RFC's sample
 *    nonce), so the expected Sec-WebSocket-Accept is a constant checked with one `indexOf`;
 *  - masked client frames (text, close, pong), built once where they can be;
 *  - a header reader for the unmasked frames a server sends (7-, 16- and 64-bit lengths).
 *
 * The `ws` client library costs more CPU per connection than a `ws` server, so a generator built
 * on it saturates before the server under test does (bench:gateway measured it). Shared by the
 * load generator (client/load) and the benchmarks (bench/lean-ws-client.ts).
 */
import { createHash, randomFillSync } from "node:crypto";

/** RFC 6455 §1.3's sample nonce: a fixed key, so the accept value is a constant. */
export const WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
/** The Sec-WebSocket-Accept a server must answer {@link WS_KEY} with. */
export const WS_ACCEPT = createHash("sha1").update(`${WS_KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");

/** The end of the HTTP response head. */
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
/** How a successful upgrade response starts. */
const STATUS_101 = Buffer.from("HTTP/1.1 101 ", "latin1");
/** {@link WS_ACCEPT} as bytes, searched for in the response head. */
const ACCEPT_BYTES = Buffer.from(WS_ACCEPT, "latin1");

/**
 * Reads the server's answer to {@link upgradeRequest} from the start of `b`: `incomplete` until
 * the head has arrived; `refused` with the status line; `bad_accept` when the accept value is
 * missing; `open` with the offset of the first WebSocket frame.
 */
export function readUpgradeResponse(
  b: Buffer,
): { readonly kind: "incomplete" } | { readonly kind: "refused"; readonly statusLine: string } | { readonly kind: "bad_accept" } | { readonly kind: "open"; readonly bodyAt: number } {
  const end = b.indexOf(CRLFCRLF);
  if (end < 0) return { kind: "incomplete" };
  if (b.compare(STATUS_101, 0, STATUS_101.length, 0, STATUS_101.length) !== 0) {
    const eol = b.indexOf(13);
    return { kind: "refused", statusLine: b.toString("latin1", 0, eol < 0 || eol > end ? end : eol) };
  }
  const acc = b.indexOf(ACCEPT_BYTES);
  if (acc < 0 || acc > end) return { kind: "bad_accept" };
  return { kind: "open", bodyAt: end + 4 };
}

/** Where to connect: `host` is what the socket dials, `hostHeader` what the Host header says. */
export interface WsTarget {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Default `host:port`. */
  readonly hostHeader?: string;
}

/** The upgrade request for `target`, serialised once and written as is by every connection. */
export function upgradeRequest(target: WsTarget): Buffer {
  const hostHeader = target.hostHeader ?? `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  return Buffer.from(
    `GET ${target.path} HTTP/1.1\r\n` +
      `Host: ${hostHeader}\r\n` +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      `Sec-WebSocket-Key: ${WS_KEY}\r\n` +
      "Sec-WebSocket-Version: 13\r\n\r\n",
    "latin1",
  );
}

/** Builds one masked client frame (FIN set) with a random masking key. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const hdr = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(hdr + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  const m = nextMaskAt();
  const m0 = MASK_POOL[m]!;
  const m1 = MASK_POOL[m + 1]!;
  const m2 = MASK_POOL[m + 2]!;
  const m3 = MASK_POOL[m + 3]!;
  out[hdr] = m0;
  out[hdr + 1] = m1;
  out[hdr + 2] = m2;
  out[hdr + 3] = m3;
  const body = hdr + 4;
  for (let i = 0; i < len; i++) {
    const k = i & 3;
    out[body + i] = payload[i]! ^ (k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3);
  }
  return out;
}

/**
 * Masking keys (RFC 6455, section 5.3: a fresh key per frame, from a strong source of entropy),
 * taken 4 bytes at a time from a pool that node:crypto's CSPRNG refills when it is used up. One
 * `randomBytes(4)` per frame cost about as much as filling the whole pool (~7 µs each on a 2-core
 * VM), which made the key the load generator's largest cost per frame after the socket writes.
 */
const MASK_POOL_BYTES = 8192;
const MASK_POOL = Buffer.allocUnsafe(MASK_POOL_BYTES);
let maskAt = MASK_POOL_BYTES;

/** The offset of 4 unused random bytes in {@link MASK_POOL}. */
function nextMaskAt(): number {
  if (maskAt === MASK_POOL_BYTES) {
    randomFillSync(MASK_POOL);
    maskAt = 0;
  }
  const at = maskAt;
  maskAt += 4;
  return at;
}

/** A masked text frame holding `text`. */
export function maskedTextFrame(text: string): Buffer {
  return maskedFrame(0x1, Buffer.from(text, "utf8"));
}

/** The masked close frame a client ends with (status 1000). */
export const CLOSE_FRAME: Buffer = maskedFrame(0x8, Buffer.from([0x03, 0xe8]));

/** The header of one server frame: opcode, FIN, where its payload lies. */
export interface FrameHeader {
  readonly fin: boolean;
  readonly opcode: number;
  /** Offset of the payload in the buffer. */
  readonly start: number;
  /** Offset just past the payload. */
  readonly end: number;
}

/**
 * Reads the frame header at `off` of `b`. Returns null when `b` does not yet hold the whole frame,
 * and throws on a masked server frame (RFC 6455 §5.1: a client must fail the connection).
 */
export function readServerFrame(b: Buffer, off: number): FrameHeader | null {
  const n = b.length;
  if (n - off < 2) return null;
  const b0 = b[off]!;
  const b1 = b[off + 1]!;
  if ((b1 & 0x80) !== 0) throw new Error("server frame is masked");
  let len = b1 & 0x7f;
  let hdr = 2;
  if (len === 126) {
    if (n - off < 4) return null;
    len = b.readUInt16BE(off + 2);
    hdr = 4;
  } else if (len === 127) {
    if (n - off < 10) return null;
    len = b.readUInt32BE(off + 2) * 2 ** 32 + b.readUInt32BE(off + 6);
    hdr = 10;
  }
  if (n - off < hdr + len) return null;
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, start: off + hdr, end: off + hdr + len };
}
