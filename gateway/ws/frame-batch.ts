/**
 * One socket write per request (docs/architecture.md, "The hot path"). While the gateway handles
 * one request, the text frames it causes (the state events, then the reply) are collected here
 * instead of going through `ws`'s sender one by one; when the request is done they are framed
 * into one buffer and written with one `socket.write`. Everything else (frames sent outside a
 * request, such as timers and kicks of other connections, ping/pong and close frames) still goes
 * through `ws`.
 *
 * Framing follows RFC 6455, section 5.2, for a server: FIN set, opcode 0x1 (text), no mask; the
 * payload length in 7 bits, or 126 and 16 bits, or 127 and 64 bits (network byte order). The
 * bytes are the same `ws` writes for `send(data, { binary: false })` with compression off
 * (test/unit/gateway/ws/frame-batch.test.ts holds it to `ws`'s own framing and parser).
 *
 * Only one request is collected at a time (the event loop runs one handler at a time); a
 * collector that is already busy leaves a nested request to send directly.
 */
import type { Socket } from "node:net";

/** FIN + opcode 0x1: a whole text frame. */
const FIN_TEXT = 0x81;

/** Bytes of an unmasked frame header for a payload of `length` bytes. */
export function frameHeaderBytes(length: number): number {
  return length < 126 ? 2 : length <= 0xffff ? 4 : 10;
}

/** Writes the header of an unmasked text frame of `length` payload bytes at `offset`; returns the offset after it. */
export function writeFrameHeader(out: Buffer, offset: number, length: number): number {
  out[offset] = FIN_TEXT;
  if (length < 126) {
    out[offset + 1] = length;
    return offset + 2;
  }
  if (length <= 0xffff) {
    out[offset + 1] = 126;
    out.writeUInt16BE(length, offset + 2);
    return offset + 4;
  }
  out[offset + 1] = 127;
  // Payloads are bounded far below 2^53 (MAX_FRAME_BYTES applies to what we read, and we send small JSON).
  out.writeUInt32BE(Math.floor(length / 0x1_0000_0000), offset + 2);
  out.writeUInt32BE(length >>> 0, offset + 6);
  return offset + 10;
}

/**
 * Frames `payloads` (strings are UTF-8 encoded) as consecutive text frames in one new buffer.
 * Strings are encoded straight into it (no intermediate buffer).
 */
export function frameAll(payloads: readonly (string | Buffer)[]): Buffer {
  const n = payloads.length;
  let total = 0;
  // Lengths are kept in a small reused array: one pass to size, one to write.
  for (let i = 0; i < n; i++) {
    const p = payloads[i] as string | Buffer;
    const len = typeof p === "string" ? Buffer.byteLength(p, "utf8") : p.length;
    lengths[i] = len;
    total += frameHeaderBytes(len) + len;
  }
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const p = payloads[i] as string | Buffer;
    const len = lengths[i] as number;
    offset = writeFrameHeader(out, offset, len);
    if (typeof p === "string") out.write(p, offset, len, "utf8");
    else p.copy(out, offset);
    offset += len;
  }
  return out;
}
const lengths: number[] = [];

/** The socket frames are being collected for, or null when no request is being handled. */
let owner: Socket | null = null;
/** The collected payloads (reused: cleared after every flush). */
const pending: (string | Buffer)[] = [];

/**
 * Starts collecting the frames for `socket`. Returns false (and collects nothing) when another
 * request is already being collected: the caller then sends directly.
 */
export function beginBatch(socket: Socket): boolean {
  if (owner !== null) return false;
  owner = socket;
  return true;
}

/** True while frames for `socket` are being collected: {@link addToBatch} takes them. */
export function isBatching(socket: Socket): boolean {
  return owner === socket;
}

/** Collects one text frame's payload for the socket being batched (call only when {@link isBatching}). */
export function addToBatch(payload: string | Buffer): void {
  pending.push(payload);
}

/**
 * Writes what was collected for `socket` so far, as one buffer in one write (nothing when nothing
 * was collected), and keeps collecting. Called before anything else is written to that socket
 * (a close frame) so that the order on the wire is the order of the calls.
 */
export function flushBatch(socket: Socket): void {
  if (owner !== socket || pending.length === 0) return;
  const out = frameAll(pending);
  pending.length = 0;
  if (!socket.destroyed && socket.writable) socket.write(out);
}

/** Drops what was collected for `socket` (the socket is being destroyed: nothing of it would be sent). */
export function discardBatch(socket: Socket): void {
  if (owner === socket) pending.length = 0;
}

/** Writes what was collected and stops collecting. */
export function endBatch(socket: Socket): void {
  if (owner !== socket) return;
  try {
    flushBatch(socket);
  } finally {
    pending.length = 0;
    owner = null;
  }
}
