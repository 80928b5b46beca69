import { macEquals } from "../token/codec/constant-time.js";
import type { ParsedToken } from "../token/parsed-token.js";
import { mac006Raw } from "../token/v006/mac.js";
import { mac007 } from "../token/v007/mac.js";

/**
 * True when `certificate` reproduces the token's MAC for an RTM login of `uid` (006: the account
 * in the channel slot; 007: the key chain; docs/tokens.md, "The two formats"). For hints only: which
 * certificate a refused token was signed with (one still pending, one given as deleted). The
 * comparison is constant-time, as in the verifiers.
 */
export function signedWith(t: ParsedToken, uid: string, certificate: string): boolean {
  if (t.version === "006") return macEquals(mac006Raw(certificate, t.appId, uid, "", t.message), t.signature);
  return macEquals(mac007(certificate, t.issueTs, t.salt, t.signingInfo), t.signature);
}
