import { ZStream, Z_FINISH, Z_STREAM_END, zlibInflate, zlibInflateInit, zlibInflateReset } from "pako";

/**
 * Capped zlib inflation for 007 bodies (docs/tokens.md, "Decoding"), on pako's port of zlib's own
 * `inflate()` state machine rather than `zlib.inflateSync`: every native call builds and frees a
 * native zlib context (native memory churned on every login, and the RSS it leaves behind), where
 * this reuses one JavaScript stream state. The guarantees are zlib's, because the code is zlib's:
 *
 * - the output buffer is exactly `maxBytes` long and inflate() is called once with Z_FINISH, so
 *   decoding STOPS when it is full (a zlib bomb costs at most `maxBytes` of output work, CPU
 *   included, never the bomb's full size);
 * - the zlib header (method, window size, header check, no preset dictionary) and the Adler-32
 *   trailer are checked by the state machine; only Z_STREAM_END counts as success;
 * - any input left after the end of the stream is refused (zlib would ignore it).
 *
 * test/unit/core/token/codec/inflate-capped.test.ts holds this to `zlib.inflateSync`'s verdicts on
 * random and hostile inputs; `npm run bench:verify` times both, bombs included (docs/performance.md).
 */

/** One stream state, reset per call: inflation is synchronous, so calls never overlap. */
let stream: ZStream | null = null;
/** The output buffer, grown to the largest cap asked for (bounded by the configured cap). */
let scratch = new Uint8Array(0);
const EMPTY = new Uint8Array(0);

function freshStream(): ZStream {
  const s = new ZStream();
  // windowBits 15 with the zlib wrapper, as zlib.inflateSync: gzip and raw deflate are refused.
  if (zlibInflateInit(s) !== 0) throw new Error("pako: inflateInit failed");
  return s;
}

/**
 * Inflates `data`, which must be exactly one complete zlib (RFC 1950) stream, into at most
 * `maxBytes` bytes (a non-negative integer).
 *
 * @returns a new Buffer of the inflated bytes (0 to `maxBytes` long, owned by the caller), or null
 *   when the data is not one complete valid zlib stream (bad header, bad deflate data, truncated,
 *   wrong Adler-32, a preset dictionary), when it would inflate past `maxBytes`, or when bytes follow
 *   the end of the stream. Never throws for any input.
 */
export function inflateCapped(data: Uint8Array, maxBytes: number): Buffer | null {
  let s = stream;
  if (s === null || zlibInflateReset(s) !== 0) s = freshStream();
  stream = null; // taken: should inflate() ever throw, the next call starts from a fresh state
  if (scratch.length < maxBytes) scratch = new Uint8Array(maxBytes);
  s.input = data;
  s.next_in = 0;
  s.avail_in = data.length;
  s.output = scratch;
  s.next_out = 0;
  s.avail_out = maxBytes;
  const status = zlibInflate(s, Z_FINISH);
  const produced = s.next_out;
  const leftOver = s.avail_in;
  s.input = EMPTY; // the stream state keeps no reference to the caller's bytes
  stream = s;
  if (status !== Z_STREAM_END || leftOver !== 0) return null;
  return Buffer.from(scratch.subarray(0, produced));
}
