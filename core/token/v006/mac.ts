import { createHmac } from "node:crypto";

/**
 * The 006 MAC: HMAC-SHA256(certificate, appId || channel || uid || m), joined with no
 * separators (token-formats.md §2.4). For an RTM login the account is the channel and the uid
 * slot is empty, so the verifier passes the login uid as `channel` and "" as `uid`.
 */
export function mac006Raw(certificate: string, appId: string, channel: string, uid: string, message: Buffer): Buffer {
  const h = createHmac("sha256", certificate).update(appId, "latin1").update(channel, "utf8");
  if (uid.length > 0) h.update(uid, "utf8");
  return h.update(message).digest();
}
