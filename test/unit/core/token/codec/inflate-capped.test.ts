/**
 * Differential test of core/token/codec/inflate-capped.ts (pako) against the verdicts of
 * `zlib.inflateSync`, the inflater it replaced (docs/tokens.md, "Decoding": one complete zlib
 * stream, at most MAX_INFLATED_BYTES inflated, nothing after the stream).
 *
 * The reference is zlib with `maxOutputLength` and a check that it consumed every input byte. Both
 * must agree on every input: refuse both, or accept both with the same bytes. Inputs are seeded
 * (CHAOS_SEED changes the seed, a failure names it): stored, fixed-Huffman and dynamic blocks, mixed
 * and flushed block sequences, every zlib window size and strategy, payloads around the cap; then
 * hostile ones derived from them: truncations, wrong Adler-32, trailing bytes, bit flips, byte
 * inserts and deletes, forged headers (preset dictionary, bad check bits, bad method, too large a
 * window), gzip and raw deflate, garbage, and zlib bombs the size of the largest token allowed.
 * How fast a bomb is refused is measured by `npm run bench:verify` (target ≤ 100 µs), not here.
 */
import { constants, deflateRawSync, deflateSync, gzipSync, inflateSync, type ZlibOptions } from "node:zlib";
import { Deflate, Z_FULL_FLUSH, Z_SYNC_FLUSH } from "pako";
import { describe, expect, it } from "vitest";
import { seededRandom as prng } from "../../../../../client/load/rng.js";
import { inflateCapped, inflateResetsInPlace } from "../../../../../core/token/codec/inflate-capped.js";
import { DEFAULT_TOKEN_LIMITS } from "../../../../../core/token/index.js";

const CAP = DEFAULT_TOKEN_LIMITS.maxInflatedBytes;
/** Bytes of zlib body in the longest token allowed (2048 characters: "007" + base64). */
const LARGEST_BODY = Math.floor(((DEFAULT_TOKEN_LIMITS.maxTokenLength - 3) / 4) * 3);
const SEED = Number(process.env["CHAOS_SEED"] ?? 13);

const rand = prng(SEED);
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

/** zlib's verdict: the inflated bytes, or null when refused. */
function reference(data: Buffer, max: number): Buffer | null {
  try {
    const { buffer, engine } = inflateSync(data, { maxOutputLength: max, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return engine.bytesWritten === data.length ? buffer : null;
  } catch {
    return null;
  }
}

interface Tally {
  accepted: number;
  refused: number;
  mismatches: string[];
}
const newTally = (): Tally => ({ accepted: 0, refused: 0, mismatches: [] });

/** Compares the candidate with zlib on one input; records a mismatch with what replays it. */
function compare(t: Tally, label: string, data: Buffer, max = CAP): void {
  const want = reference(data, max);
  let got: Buffer | null;
  try {
    got = inflateCapped(data, max);
  } catch (err) {
    t.mismatches.push(`${label}: threw ${(err as Error).message} (seed ${SEED}, cap ${max}, input ${data.toString("hex").slice(0, 120)})`);
    return;
  }
  const same = want === null ? got === null : got !== null && got.equals(want);
  if (!same) {
    t.mismatches.push(
      `${label}: zlib ${want === null ? "refused" : `accepted ${want.length} B`}, candidate ${got === null ? "refused" : `accepted ${got.length} B`} (seed ${SEED}, cap ${max}, input ${data.toString("hex").slice(0, 120)})`,
    );
  }
  if (want === null) t.refused++;
  else t.accepted++;
}

function payload(size: number): Buffer {
  switch (int(4)) {
    case 0: // incompressible
      return Buffer.from(Array.from({ length: size }, () => int(256)));
    case 1: // small alphabet: dynamic Huffman with matches
      return Buffer.from(Array.from({ length: size }, () => 97 + int(4)));
    case 2: // runs
      return Buffer.alloc(size, int(256));
    default: {
      // a token-like payload: a header then text and zeros
      const b = Buffer.alloc(size);
      for (let i = 0; i < size; i++) b[i] = i % 37 < 20 ? 48 + (i % 10) : 0;
      return b;
    }
  }
}

const STRATEGIES = [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED];

/** One zlib stream of `p` in a random encoding: level 0 (stored) to 9, any window, any strategy. */
function zlibStream(p: Buffer): Buffer {
  const opts: ZlibOptions = { level: int(10), windowBits: 9 + int(7), memLevel: 1 + int(9), strategy: pick(STRATEGIES) };
  return deflateSync(p, opts);
}

/** A stream of several blocks of mixed kinds: pako's deflater, flushed between parts. */
function flushedStream(p: Buffer): Buffer {
  const d = new Deflate({ level: int(10) });
  let at = 0;
  while (at < p.length) {
    const n = 1 + int(Math.max(1, p.length - at));
    d.push(p.subarray(at, at + n), pick([Z_SYNC_FLUSH, Z_FULL_FLUSH]));
    at += n;
  }
  d.push(new Uint8Array(0), true);
  if (d.err !== 0) throw new Error(`pako deflate: ${d.msg}`);
  return Buffer.from(d.result);
}

/** A hostile variant of a valid stream. */
function mutate(s: Buffer): { kind: string; data: Buffer } {
  const b = Buffer.from(s);
  switch (int(9)) {
    case 0:
      return { kind: "truncated", data: b.subarray(0, int(b.length)) };
    case 1: {
      b[b.length - 1 - int(4)]! ^= 1 + int(255);
      return { kind: "wrong Adler-32", data: b };
    }
    case 2:
      return { kind: "trailing bytes", data: Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(4) }, () => int(256)))]) };
    case 3: {
      const i = int(b.length);
      b[i]! ^= 1 << int(8);
      return { kind: "bit flip", data: b };
    }
    case 4: {
      const i = int(b.length + 1);
      return { kind: "byte inserted", data: Buffer.concat([b.subarray(0, i), Buffer.from([int(256)]), b.subarray(i)]) };
    }
    case 5: {
      const i = int(b.length);
      return { kind: "byte deleted", data: Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]) };
    }
    case 6: {
      // Any CMF/FLG pair whose check bits hold: preset dictionary, other methods, windows > 32K.
      const cmf = int(256);
      let flg = int(256) & 0xe0;
      flg |= 31 - ((cmf * 256 + flg) % 31);
      if (flg > 255) flg -= 31;
      b[0] = cmf;
      b[1] = flg;
      return { kind: "forged header", data: b };
    }
    case 7: {
      b[1]! ^= 1 + int(31);
      return { kind: "header check broken", data: b };
    }
    default:
      return { kind: "second stream appended", data: Buffer.concat([b, b]) };
  }
}

describe("inflateCapped (pako) against zlib.inflateSync (docs/tokens.md, \"Decoding\")", () => {
  it("agrees on valid streams of every block kind, window and strategy, payloads around the cap", () => {
    const t = newTally();
    const sizes = [0, 1, 2, 64, 99, 250, 1000, 4096, CAP - 1, CAP, CAP + 1, CAP + 300, 20_000];
    for (let i = 0; i < 600; i++) {
      const p = payload(i < sizes.length * 2 ? (sizes[i % sizes.length] as number) : int(i % 5 === 0 ? 12_000 : 400));
      compare(t, `zlib stream of ${p.length} B`, zlibStream(p));
      compare(t, `flushed stream of ${p.length} B`, flushedStream(p));
    }
    expect(t.mismatches).toEqual([]);
    // Both verdicts occur (payloads past the cap are refused), so agreement is not trivial.
    expect(t.accepted).toBeGreaterThan(900);
    expect(t.refused).toBeGreaterThan(20);
  });

  it("agrees on the exact cap: a payload of N bytes passes a cap of N and fails a cap of N - 1", () => {
    const t = newTally();
    for (const n of [1, 2, 99, 200, 8191, CAP]) {
      const s = zlibStream(payload(n));
      compare(t, `cap ${n}`, s, n);
      compare(t, `cap ${n - 1}`, s, Math.max(1, n - 1));
      expect(inflateCapped(s, n)?.length).toBe(n);
      if (n > 1) expect(inflateCapped(s, n - 1)).toBeNull();
    }
    expect(t.mismatches).toEqual([]);
  });

  it("agrees on hostile variants: truncated, wrong Adler-32, trailing bytes, flips, forged headers", () => {
    const t = newTally();
    const kinds = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const p = payload(int(i % 10 === 0 ? 9000 : 300));
      const { kind, data } = mutate(i % 3 === 0 ? flushedStream(p) : zlibStream(p));
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      compare(t, kind, data);
    }
    expect(t.mismatches).toEqual([]);
    expect(t.refused).toBeGreaterThan(3000);
    expect([...kinds.keys()].sort()).toHaveLength(9);
  });

  it("refuses, as zlib does, each named hostile case", () => {
    const p = payload(300);
    const good = deflateSync(p);
    const withByte = (b: Buffer, i: number, v: number): Buffer => {
      const c = Buffer.from(b);
      c[i] = v;
      return c;
    };
    const cases: ReadonlyArray<readonly [string, Buffer]> = [
      ["every truncation", good],
      ["wrong Adler-32", withByte(good, good.length - 1, good[good.length - 1]! ^ 0x80)],
      ["one trailing byte", Buffer.concat([good, Buffer.from([0])])],
      ["a second stream after the first", Buffer.concat([good, good])],
      ["gzip", gzipSync(p)],
      ["raw deflate", deflateRawSync(p)],
      ["preset dictionary (FDICT)", deflateSync(p, { dictionary: Buffer.from("dictionary") })],
      ["window of 64 KiB (CINFO 8)", withByte(withByte(good, 0, 0x88), 1, 31 - ((0x88 * 256) % 31))],
      ["method 7", withByte(withByte(good, 0, 0x77), 1, 31 - ((0x77 * 256) % 31))],
      ["empty", Buffer.alloc(0)],
    ];
    for (const [name, data] of cases) {
      if (name === "every truncation") {
        for (let n = 0; n < data.length; n++) {
          expect([name, n, reference(data.subarray(0, n), CAP)]).toEqual([name, n, null]);
          expect([name, n, inflateCapped(data.subarray(0, n), CAP)]).toEqual([name, n, null]);
        }
        continue;
      }
      expect([name, reference(data, CAP)]).toEqual([name, null]);
      expect([name, inflateCapped(data, CAP)]).toEqual([name, null]);
    }
    // And the untouched stream passes both, with the same bytes.
    expect(inflateCapped(good, CAP)?.equals(p)).toBe(true);
  });

  it("refuses zlib bombs the size of the largest token allowed, and stays correct afterwards", () => {
    const t = newTally();
    // The most output a body of LARGEST_BODY bytes can carry: zeros at level 9 (about 1000:1).
    let size = 1 << 20;
    while (deflateSync(Buffer.alloc(size * 2), { level: 9 }).length <= LARGEST_BODY) size *= 2;
    const bombs = [
      deflateSync(Buffer.alloc(size), { level: 9 }),
      deflateSync(Buffer.alloc(size, 0x41), { level: 9, strategy: constants.Z_RLE }),
      deflateSync(Buffer.concat([payload(CAP - 10), Buffer.alloc(size)]), { level: 9 }).subarray(0, LARGEST_BODY),
      Buffer.concat([deflateSync(Buffer.alloc(size), { level: 9 }), Buffer.from([1, 2, 3])]),
    ];
    expect(bombs[0]!.length).toBeLessThanOrEqual(LARGEST_BODY);
    expect(size).toBeGreaterThan(1000 * CAP / 10);
    for (const [i, b] of bombs.entries()) {
      compare(t, `bomb ${i}`, b);
      expect([i, inflateCapped(b, CAP)]).toEqual([i, null]);
      // The shared stream state is reset after a bomb: a valid stream still inflates.
      const p = payload(500);
      expect(inflateCapped(deflateSync(p), CAP)?.equals(p)).toBe(true);
    }
    expect(t.mismatches).toEqual([]);
  });

  it("resets its stream in place (no code tables allocated per call), and streams of different dynamic tables in a row inflate right", () => {
    // Dynamic blocks build their own code tables into the kept arrays: each stream's must not leak into the next.
    const rand = prng(7);
    const texts = Array.from({ length: 200 }, (_, i) => Buffer.from(Array.from({ length: 300 + (i % 7) * 90 }, () => "abcdefghijklmnopqrstuvwxyz0123456789{}\":,"[Math.floor(rand() * (i % 5 === 0 ? 4 : 40))]).join("")));
    for (const [i, p] of texts.entries()) {
      const z = deflateSync(p, { level: 9, strategy: i % 3 === 0 ? constants.Z_HUFFMAN_ONLY : constants.Z_DEFAULT_STRATEGY });
      expect([i, inflateCapped(z, CAP)?.equals(p)]).toEqual([i, true]);
    }
    expect(inflateResetsInPlace()).toBe(true);
  });

  it("returns a buffer of its own: a later call does not change an earlier result", () => {
    const a = payload(200);
    const b = Buffer.alloc(200, 0x5a);
    const first = inflateCapped(deflateSync(a), CAP);
    inflateCapped(deflateSync(b), CAP);
    expect(first?.equals(a)).toBe(true);
  });

  // The 007 parser passes its reused body buffer with the body's length (core/token/v007/parse.ts).
  it("reads only the first `length` bytes: what follows them is not trailing data, and what precedes the length still is", () => {
    const p = payload(300);
    const z = deflateSync(p);
    const padded = Buffer.concat([z, Buffer.alloc(64, 0xff)]);
    expect(inflateCapped(padded, CAP)).toBe(null); // the bytes after the stream, counted: refused
    expect(inflateCapped(padded, CAP, z.length)?.equals(p)).toBe(true);
    const trailing = Buffer.concat([z, Buffer.from([0])]);
    expect(inflateCapped(Buffer.concat([trailing, Buffer.alloc(8)]), CAP, trailing.length)).toBe(null);
    expect(inflateCapped(padded, CAP, z.length - 1)).toBe(null); // truncated
  });
});
