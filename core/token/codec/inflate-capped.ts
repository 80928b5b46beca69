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

/**
 * The fields of pako's inflate state that a reset sets (zlib's `inflateResetKeep` and
 * `inflateReset`, which pako ports field for field).
 */
interface InflateStateFields {
  mode: number;
  wrap: number;
  last: number;
  havedict: number;
  flags: number;
  dmax: number;
  total: number;
  head: unknown;
  hold: number;
  bits: number;
  wsize: number;
  whave: number;
  wnext: number;
  lencode: Int32Array;
  lendyn: Int32Array;
  distcode: Int32Array;
  distdyn: Int32Array;
  sane: number;
  back: number;
}
type StreamWithState = ZStream & { state: InflateStateFields; total_in: number; total_out: number; msg: string; adler: number };

/**
 * Why not `zlibInflateReset`: pako's reset allocates two new code tables (Int32Arrays of 852 and
 * 592 entries, 5.6 KiB of zeroed memory off the V8 heap) on every call, which cost several times
 * the inflation of a token body itself, in allocation, zeroing and sweeping. zlib (C) keeps one
 * table array for the life of the stream: `inflate_table` writes every entry a block reads before
 * the block reads it, so the tables never need clearing. This reset does what pako's does, with
 * the stream's own two tables kept. It is used only when the state has the shape it expects
 * ({@link canResetInPlace}); otherwise pako's reset is called.
 */
function resetInPlace(s: StreamWithState, head: number): void {
  const st = s.state;
  st.wsize = 0;
  st.whave = 0;
  st.wnext = 0;
  s.total_in = 0;
  s.total_out = 0;
  st.total = 0;
  s.msg = "";
  if (st.wrap !== 0) s.adler = st.wrap & 1;
  st.mode = head;
  st.last = 0;
  st.havedict = 0;
  st.flags = -1;
  st.dmax = 32768;
  st.head = null;
  st.hold = 0;
  st.bits = 0;
  st.lencode = st.lendyn;
  st.distcode = st.distdyn;
  st.sane = 1;
  st.back = -1;
}

/** The state's mode right after a reset (zlib's HEAD), read off a fresh stream. */
let headMode = -1;

/** True when `s` has the state fields {@link resetInPlace} sets, with its own code tables. */
function canResetInPlace(s: ZStream): s is StreamWithState {
  const st = (s as Partial<StreamWithState>).state as Partial<InflateStateFields> | undefined;
  return (
    st !== undefined &&
    st !== null &&
    st.lendyn instanceof Int32Array &&
    st.distdyn instanceof Int32Array &&
    typeof st.mode === "number" &&
    typeof st.wrap === "number" &&
    typeof st.wsize === "number" &&
    typeof st.back === "number" &&
    typeof st.sane === "number"
  );
}
/** The output buffer, grown to the largest cap asked for (bounded by the configured cap). */
let scratch = new Uint8Array(0);
const EMPTY = new Uint8Array(0);

function freshStream(): ZStream {
  const s = new ZStream();
  // windowBits 15 with the zlib wrapper, as zlib.inflateSync: gzip and raw deflate are refused.
  if (zlibInflateInit(s) !== 0) throw new Error("pako: inflateInit failed");
  if (canResetInPlace(s)) headMode = s.state.mode;
  return s;
}

/** Makes `s` ready for a new stream: in place when it can (no allocation), else by pako; false when neither can. */
function reset(s: ZStream): boolean {
  if (headMode >= 0 && canResetInPlace(s)) {
    resetInPlace(s, headMode);
    return true;
  }
  return zlibInflateReset(s) === 0;
}

/**
 * Inflates `data` (its first `length` bytes: all of it by default), which must be exactly one
 * complete zlib (RFC 1950) stream, into at most `maxBytes` bytes (a non-negative integer).
 *
 * @returns a new Buffer of the inflated bytes (0 to `maxBytes` long, owned by the caller), or null
 *   when the data is not one complete valid zlib stream (bad header, bad deflate data, truncated,
 *   wrong Adler-32, a preset dictionary), when it would inflate past `maxBytes`, or when bytes follow
 *   the end of the stream. Never throws for any input.
 */
export function inflateCapped(data: Uint8Array, maxBytes: number, length: number = data.length): Buffer | null {
  let s = stream;
  if (s === null || !reset(s)) s = freshStream();
  stream = null; // taken: should inflate() ever throw, the next call starts from a fresh state
  if (scratch.length < maxBytes) scratch = new Uint8Array(maxBytes);
  s.input = data;
  s.next_in = 0;
  s.avail_in = Math.min(length, data.length);
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

/**
 * True once the shared stream is reset in place (no table allocation per call): pako's state had
 * the expected shape. A pako update that changes it makes this false (and inflation falls back to
 * pako's own reset); test/unit/core/token/codec/inflate-capped.test.ts fails then.
 */
export function inflateResetsInPlace(): boolean {
  return headMode >= 0 && stream !== null && canResetInPlace(stream);
}
