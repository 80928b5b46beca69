import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as strictBase64 from "../../../../../core/token/codec/strict-base64.js";

const { decodeBase64, isCanonicalBase64 } = strictBase64;
/**
 * The single-pass validate-and-decode of the verify path, looked up by name so that this file
 * also compiles against a core without it; its tests show as skipped then, never as passed.
 */
const decodeCanonical = (strictBase64 as unknown as Record<string, unknown>)["decodeCanonicalBase64"] as
  | ((s: string, start?: number) => Buffer | null)
  | undefined;
const hasDecoder = typeof decodeCanonical === "function";
function decodeCanonicalBase64(s: string, start?: number): Buffer | null {
  if (decodeCanonical === undefined) throw new Error("decodeCanonicalBase64 is not exported");
  return decodeCanonical(s, start);
}

/** The definition in docs/tokens.md, "Strict base64", written the slow way: regex, length, round trip. */
function referenceCanonical(body: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(body) && body.length % 4 === 0 && Buffer.from(body, "base64").toString("base64") === body;
}

const ACCEPT: ReadonlyArray<readonly [string, string, string]> = [
  ["empty body (decodes to zero bytes)", "", ""],
  ["one full quad", "YWJj", "616263"],
  ["two pads, zero pad bits", "YQ==", "61"],
  ["one pad, zero pad bits", "YWI=", "6162"],
  ["'+' and '/' from the standard alphabet", "+/+/", "fbffbf"],
  ["all alphabet characters", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "base64").toString("hex")],
  ["zero bytes", "AAAA", "000000"],
];

const REFUSE: ReadonlyArray<readonly [string, string]> = [
  ["URL-safe '-'", "-_-_"],
  ["URL-safe '_' among standard characters", "YWJ_"],
  ["missing padding (length 2 mod 4)", "YQ"],
  ["missing padding (length 3 mod 4)", "YWI"],
  ["length 1 mod 4", "YWJjZ"],
  ["a space inside", "YW Jj"],
  ["a trailing newline", "YWJj\n"],
  ["a leading space", " YWJ"],
  ["a tab", "YW\tj"],
  ["CRLF line break", "YWJj\r\nYWJj"],
  ["non-zero pad bits with two pads", "YR=="],
  ["non-zero pad bits with one pad", "YWJ="],
  ["'=' in the middle", "YQ==YWJj"],
  ["'=' inside the last quad before data", "YW=j"],
  ["three pads", "Y==="],
  ["four pads", "===="],
  ["a pad then data in the last quad", "YWJ=YQ=="],
  ["non-ASCII letter", "YWJé"],
  ["non-ASCII that folds to ASCII in latin1 (U+0141)", "YWJ\u0141"],
  ["an emoji (surrogate pair)", "YW😀"],
  ["NUL", "YWJ\u0000"],
  ["'.'", "YWJ."],
  ["percent-encoded '+'", "YW%2B"],
];

describe("isCanonicalBase64 / decodeCanonicalBase64 (docs/tokens.md, \"Strict base64\")", () => {
  it.each(ACCEPT)("accepts %s", (_name, body, hex) => {
    expect(isCanonicalBase64(body)).toBe(true);
    expect(decodeBase64(body).toString("hex")).toBe(hex);
    expect(referenceCanonical(body)).toBe(true);
  });

  it.each(REFUSE)("refuses %s", (_name, body) => {
    expect(isCanonicalBase64(body)).toBe(false);
    expect(referenceCanonical(body)).toBe(false);
  });

  it.skipIf(!hasDecoder).each(ACCEPT)("decodeCanonicalBase64 decodes %s", (_name, body, hex) => {
    expect(decodeCanonicalBase64(body)?.toString("hex")).toBe(hex);
  });

  it.skipIf(!hasDecoder).each(REFUSE)("decodeCanonicalBase64 refuses %s", (_name, body) => {
    expect(decodeCanonicalBase64(body)).toBe(null);
  });

  it("checks only the part after `start` (the token prefix is not base64)", () => {
    expect(isCanonicalBase64("007YQ==", 3)).toBe(true);
    expect(decodeBase64("007YQ==", 3).toString("hex")).toBe("61");
    expect(isCanonicalBase64("007YQ=", 3)).toBe(false);
    expect(isCanonicalBase64("007", 3)).toBe(true);
  });

  it.skipIf(!hasDecoder)("decodeCanonicalBase64 also starts at `start`", () => {
    expect(decodeCanonicalBase64("007YQ==", 3)?.toString("hex")).toBe("61");
    expect(decodeCanonicalBase64("007YQ=", 3)).toBe(null);
    expect(decodeCanonicalBase64("007", 3)?.length).toBe(0);
  });

  it("agrees with decode + re-encode on arbitrary strings and on mutated canonical ones", () => {
    const alphabetish = fc.string({ unit: fc.constantFrom(..."ABCabcz09+/=-_ \né😀"), maxLength: 16 });
    const canonical = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString("base64"));
    const mutated = fc
      .tuple(canonical, fc.nat(), fc.constantFrom(..."A/+=-_ é"))
      .map(([s, i, c]) => (s.length === 0 ? c : s.slice(0, i % s.length) + c + s.slice((i % s.length) + 1)));
    fc.assert(
      fc.property(fc.oneof(alphabetish, canonical, mutated), (body) => {
        const expected = referenceCanonical(body);
        expect(isCanonicalBase64(body)).toBe(expected);
        if (hasDecoder) {
          const decoded = decodeCanonicalBase64(body);
          if (expected) expect(decoded?.equals(Buffer.from(body, "base64"))).toBe(true);
          else expect(decoded).toBe(null);
        }
      }),
      { numRuns: 3000 },
    );
  });

  // The 007 parser decodes into one reused buffer (core/token/v007/parse.ts): the same verdict and
  // bytes as decodeCanonicalBase64, whatever the buffer held before and however long it is.
  it("decodes into a reused buffer exactly as decodeCanonicalBase64 does", () => {
    const { canonicalBase64Length, decodeCanonicalBase64Into } = strictBase64;
    const alphabetish = fc.string({ unit: fc.constantFrom(..."ABCabcz09+/=-_ \né"), maxLength: 16 });
    const canonical = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64"));
    const scratch = new Uint8Array(64);
    fc.assert(
      fc.property(fc.oneof(alphabetish, canonical), fc.constantFrom("", "007"), (body, prefix) => {
        scratch.fill(0xa5);
        const s = prefix + body;
        const expected = decodeCanonicalBase64(s, prefix.length);
        const length = canonicalBase64Length(s, prefix.length);
        const ok = length >= 0 && decodeCanonicalBase64Into(s, prefix.length, scratch);
        expect(ok).toBe(expected !== null);
        if (expected !== null) {
          expect(length).toBe(expected.length);
          expect(Buffer.from(scratch.subarray(0, length)).equals(expected)).toBe(true);
          // Nothing is written past the decoded length.
          expect(scratch.subarray(length).every((b) => b === 0xa5)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    expect(canonicalBase64Length("007YQ==", 3)).toBe(1);
    expect(canonicalBase64Length("007YQ=", 3)).toBe(-1);
    expect(canonicalBase64Length("007", 3)).toBe(0);
  });
});
