import { ByteReader } from "../codec/byte-reader.js";
import { decodeBase64, isCanonicalBase64 } from "../codec/strict-base64.js";
import type { ParsedToken006 } from "../parsed-token.js";
import type { ParseResult } from "../parse-result.js";

const APP_ID_END = 35;
const HEX32 = /^[0-9a-fA-F]{32}$/;
const SIGNATURE_LENGTH = 32;

/**
 * Parses a 006 token strictly (token-formats.md §4.3): 32 hex characters of App ID, canonical
 * base64, a 32-byte signature, every length inside the buffer and no trailing bytes after `m`
 * or inside it. The caller has already checked the overall length and the prefix.
 */
export function parse006(token: string): ParseResult<ParsedToken006> {
  const appId = token.slice(3, APP_ID_END);
  if (!HEX32.test(appId)) return { ok: false, detail: "006 App ID is not 32 hex characters" };
  if (!isCanonicalBase64(token, APP_ID_END)) return { ok: false, detail: "006 body is not canonical base64" };
  const content = decodeBase64(token, APP_ID_END);

  const r = new ByteReader(content);
  const signature = r.bytes16();
  const crcChannel = r.u32();
  const crcUid = r.u32();
  const message = r.bytes16();
  if (r.overrun) return { ok: false, detail: "006 content is truncated" };
  if (r.remaining !== 0) return { ok: false, detail: "006 content has trailing bytes" };
  if (signature.length !== SIGNATURE_LENGTH) return { ok: false, detail: "006 signature is not 32 bytes" };

  const m = new ByteReader(message);
  const salt = m.u32();
  const ts = m.u32();
  const privileges = m.map16_32();
  if (m.overrun) return { ok: false, detail: "006 message is truncated" };
  if (m.remaining !== 0) return { ok: false, detail: "006 message has trailing bytes" };

  return {
    ok: true,
    token: { version: "006", appId, signature, crcChannel, crcUid, salt, ts, privileges, message },
  };
}
