import { createHmac } from "node:crypto";

/**
 * The 006 MAC: HMAC-SHA256(certificate, appId || channel || uid || m), joined with no
 * separators (docs/tokens.md, "The 006 format"). For an RTM login the account is the channel and the uid
 * slot is empty, so the verifier passes the login uid as `channel` and "" as `uid`.
 *
 * `appId` must be ASCII, which both callers guarantee (the builder checks 32 hex characters,
 * the parser refuses anything else), so its UTF-8 bytes are its ASCII bytes and it can be
 * joined to `channel` and encoded by one `update`: every `update` is a call into native code,
 * and on the verify path that costs more than the string join (a rope, flattened once).
 */
export function mac006Raw(certificate: string, appId: string, channel: string, uid: string, message: Buffer): Buffer {
  const h = createHmac("sha256", certificate).update(appId + channel, "utf8");
  // Encoded on its own, as before: joined to `channel`, a lone surrogate at the end of one and
  // at the start of the other would pair up and encode differently. (An ASCII appId cannot.)
  if (uid.length > 0) h.update(uid, "utf8");
  return h.update(message).digest();
}

/**
 * The bytes the 006 MAC of an RTM login covers, `appId || uid || m`, joined into one Buffer: what
 * {@link mac006Raw} hashes for channel = `uid` and an empty uid slot, built once per verify and
 * hashed once per certificate tried. `appId` is 32 ASCII characters (the parser checked them).
 * An ASCII `uid` (the usual case) is copied byte by byte; any other is encoded as UTF-8 together with
 * `appId`, exactly as {@link mac006Raw} does (a lone surrogate becomes U+FFFD in both).
 */
export function macInput006(appId: string, uid: string, message: Buffer): Buffer {
  const appIdLength = appId.length;
  const uidLength = uid.length;
  for (let i = 0; i < uidLength; i++) {
    if (uid.charCodeAt(i) > 0x7f) return Buffer.concat([Buffer.from(appId + uid, "utf8"), message]);
  }
  const input = Buffer.allocUnsafe(appIdLength + uidLength + message.length);
  for (let i = 0; i < appIdLength; i++) input[i] = appId.charCodeAt(i);
  for (let i = 0; i < uidLength; i++) input[appIdLength + i] = uid.charCodeAt(i);
  input.set(message, appIdLength + uidLength);
  return input;
}
