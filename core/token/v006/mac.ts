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
