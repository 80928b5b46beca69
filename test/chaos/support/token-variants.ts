/**
 * Malleated variants of real tokens: different strings with the same signed content, made without
 * the certificate (docs/tokens.md, "Malleability"). Written from docs/tokens.md, "The two formats", and
 * RFC 1950/1951 directly, not from core, so the tests check core against an independent reading.
 *
 * - 006: the two CRC-32 fields after the signature are not covered by the MAC.
 * - 007: the zlib container and the deflate stream are not covered either; only the inflated
 *   payload is. The zlib header's level bits (FLEVEL), the window size it declares (CINFO), the
 *   choice of deflate blocks, the 5 ignored bits after a stored block's header, an extra empty
 *   stored block, and the padding bits after the final block all change the string and nothing
 *   else.
 */
import { constants, deflateSync, inflateSync, type ZlibOptions } from "node:zlib";

/** The base64 body of a 006 token (after the clear-text App ID). */
const BODY_006 = 35;
/** The base64 body of a 007 token (after the prefix). */
const BODY_007 = 3;
/** Offset of crc_channel in the 006 content: u16 signature length + 32 signature bytes. */
const CRC_CHANNEL_AT = 34;

/** The decoded 006 content bytes. */
export function content006(token: string): Buffer {
  return Buffer.from(token.slice(BODY_006), "base64");
}

/** A 006 token with other CRC fields: same signature, same MAC input, another string. */
export function withCrc006(token: string, crcChannel: number, crcUid: number): string {
  const content = Buffer.from(content006(token));
  content.writeUInt32LE(crcChannel >>> 0, CRC_CHANNEL_AT);
  content.writeUInt32LE(crcUid >>> 0, CRC_CHANNEL_AT + 4);
  return token.slice(0, BODY_006) + content.toString("base64");
}

/** The compressed bytes (zlib stream) of a 007 token. */
export function zlib007(token: string): Buffer {
  return Buffer.from(token.slice(BODY_007), "base64");
}

/** The inflated payload of a 007 token (signature + signing_info). Throws on a broken token. */
export function payload007(token: string): Buffer {
  return inflateSync(zlib007(token));
}

/** "007" + base64 of a zlib stream. */
export function token007(zlibStream: Buffer): string {
  return `007${zlibStream.toString("base64")}`;
}

/** The same payload deflated again with other zlib options (level, strategy, window, memLevel). */
export function redeflate007(token: string, options: ZlibOptions): string {
  return token007(deflateSync(payload007(token), options));
}

/** Deflate settings that give different streams for the same payload. */
export const REDEFLATE_OPTIONS: readonly ZlibOptions[] = [
  { level: 0 },
  { level: 1 },
  { level: 9 },
  { level: 6, strategy: constants.Z_HUFFMAN_ONLY },
  { level: 6, strategy: constants.Z_FIXED },
  { level: 6, strategy: constants.Z_RLE },
  { level: 6, strategy: constants.Z_FILTERED },
  { level: 9, memLevel: 1 },
  { level: 6, windowBits: 9 },
  { level: 6, windowBits: 12 },
];

/**
 * The zlib header (RFC 1950 §2.2) with another FLEVEL (0..3): the compressor's level claim, which
 * no decompressor checks. FCHECK is recomputed so the header stays valid.
 */
export function withZlibLevel007(token: string, flevel: number): string {
  const z = Buffer.from(zlib007(token));
  const cmf = z[0]!;
  const base = (flevel & 3) << 6; // FDICT = 0
  const fcheck = (31 - ((cmf * 256 + base) % 31)) % 31;
  z[1] = base | fcheck;
  return token007(z);
}

/**
 * A stored-block encoding (level 0) whose first block header byte carries `bits` (0..31) in the
 * five bits that RFC 1951 §3.2.4 says are skipped to reach the byte boundary.
 */
export function withStoredPadding007(token: string, bits: number): string {
  const z = deflateSync(payload007(token), { level: 0 });
  // z[2] is BFINAL (bit 0) and BTYPE 00 (bits 1..2); bits 3..7 are the ignored remainder.
  z[2] = (z[2]! & 0x07) | ((bits & 0x1f) << 3);
  return token007(z);
}

/** An empty, non-final stored block (`00 0000 ffff`) put in front of the deflate data. */
export function withEmptyStoredBlock007(token: string): string {
  const z = zlib007(token);
  return token007(Buffer.concat([z.subarray(0, 2), Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]), z.subarray(2)]));
}

/**
 * Every variant made by flipping one bit of the last deflate byte (before the Adler-32 trailer)
 * that still inflates to the identical payload: the padding bits after the final block's end code.
 */
export function lastBytePaddingVariants007(token: string): string[] {
  const z = zlib007(token);
  const payload = payload007(token);
  const at = z.length - 5;
  const out: string[] = [];
  for (let bit = 0; bit < 8; bit++) {
    const v = Buffer.from(z);
    v[at] = v[at]! ^ (1 << bit);
    let inflated: Buffer;
    try {
      inflated = inflateSync(v);
    } catch {
      continue;
    }
    if (inflated.equals(payload)) out.push(token007(v));
  }
  return out;
}

/** The malleated variants of a token, each with a label: strings that differ, content that does not. */
export function malleatedVariants(token: string): Array<{ readonly label: string; readonly token: string }> {
  const out: Array<{ label: string; token: string }> = [];
  if (token.startsWith("006")) {
    const c = content006(token);
    const channel = c.readUInt32LE(CRC_CHANNEL_AT);
    const uid = c.readUInt32LE(CRC_CHANNEL_AT + 4);
    out.push({ label: "006 crc_channel changed", token: withCrc006(token, channel ^ 0xdeadbeef, uid) });
    out.push({ label: "006 crc_uid changed", token: withCrc006(token, channel, uid ^ 1) });
    out.push({ label: "006 both CRCs zero", token: withCrc006(token, 0, 0) });
    out.push({ label: "006 both CRCs all ones", token: withCrc006(token, 0xffffffff, 0xffffffff) });
  } else {
    REDEFLATE_OPTIONS.forEach((o, i) => out.push({ label: `007 re-deflated #${i} ${JSON.stringify(o)}`, token: redeflate007(token, o) }));
    for (let l = 0; l < 4; l++) out.push({ label: `007 zlib FLEVEL ${l}`, token: withZlibLevel007(token, l) });
    for (const bits of [1, 0x0a, 0x1f]) out.push({ label: `007 stored-block padding bits ${bits}`, token: withStoredPadding007(token, bits) });
    out.push({ label: "007 empty stored block in front", token: withEmptyStoredBlock007(token) });
    lastBytePaddingVariants007(token).forEach((t, i) => out.push({ label: `007 final padding bit variant ${i}`, token: t }));
  }
  // Only real variants: some settings may happen to reproduce the original string.
  const seen = new Set([token]);
  return out.filter((v) => (seen.has(v.token) ? false : (seen.add(v.token), true)));
}
