import { decodeCanonicalBase64 } from "../codec/strict-base64.js";
import type { ParsedToken006 } from "../parsed-token.js";
import type { ParseResult } from "../parse-result.js";

const APP_ID_END = 35;

/** True when `s` has the characters [start, end) and every one is a hex digit (docs/tokens.md, "Decoding"). */
function isHexAt(s: string, start: number, end: number): boolean {
  if (s.length < end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 0x20; // folds A-F onto a-f (and nothing else onto a-f)
    if (!((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66))) return false;
  }
  return true;
}

const SIGNATURE_LENGTH = 32;

/**
 * Parses a 006 token strictly (docs/tokens.md, "Decoding"): 32 hex characters of App ID, canonical
 * base64, a 32-byte signature, every length inside the buffer and no trailing bytes after `m`
 * or inside it. The caller has already checked the overall length and the prefix.
 */
export function parse006(token: string): ParseResult<ParsedToken006> {
  const t = parse006Token(token);
  return typeof t === "string" ? { ok: false, detail: t } : { ok: true, token: t };
}

/**
 * {@link parse006} without the result wrapper, for the verify path: the token, or the detail of
 * why it is malformed (a string).
 */
export function parse006Token(token: string): ParsedToken006 | string {
  if (!isHexAt(token, 3, APP_ID_END)) return "006 App ID is not 32 hex characters";
  const appId = token.slice(3, APP_ID_END);
  const content = decodeCanonicalBase64(token, APP_ID_END);
  if (content === null) return "006 body is not canonical base64";

  // content = bytes16 signature, u32 crc_channel, u32 crc_uid, bytes16 m (docs/tokens.md, "The 006 format"). Its layout is
  // fixed, so it is read in place rather than through a ByteReader: same checks, same order
  // (a read past the end, then trailing bytes, then the signature length), fewer allocations.
  const length = content.length;
  if (length < 2) return "006 content is truncated";
  const signatureLength = content.readUInt16LE(0);
  const crcAt = 2 + signatureLength;
  const messageAt = crcAt + 10; // two u32 CRCs and m's u16 length
  if (messageAt > length) return "006 content is truncated";
  const messageEnd = messageAt + content.readUInt16LE(crcAt + 8);
  if (messageEnd > length) return "006 content is truncated";
  if (messageEnd !== length) return "006 content has trailing bytes";
  if (signatureLength !== SIGNATURE_LENGTH) return "006 signature is not 32 bytes";
  const crcChannel = content.readUInt32LE(crcAt);
  const crcUid = content.readUInt32LE(crcAt + 4);

  // m = u32 salt, u32 ts, map16_32 privileges, with nothing after the map.
  const mapAt = messageAt + 8;
  if (mapAt + 2 > messageEnd) return "006 message is truncated";
  const count = content.readUInt16LE(mapAt);
  const mapEnd = mapAt + 2 + count * 6;
  if (mapEnd > messageEnd) return "006 message is truncated";
  if (mapEnd !== messageEnd) return "006 message has trailing bytes";
  const salt = content.readUInt32LE(messageAt);
  const ts = content.readUInt32LE(messageAt + 4);
  const privileges: Array<[number, number]> = new Array(count);
  for (let i = 0, at = mapAt + 2; i < count; i++, at += 6) privileges[i] = [content.readUInt16LE(at), content.readUInt32LE(at + 2)];
  const signature = content.subarray(2, crcAt);
  const message = content.subarray(messageAt, messageEnd);

  return { version: "006", appId, signature, crcChannel, crcUid, salt, ts, privileges, message };
}
