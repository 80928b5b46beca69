/**
 * The "observed" reading of a 006 RTC token as an RTM login (docs/fidelity.md,
 * `ACCEPT_006_RTC_AS_RTM`). An RTM 006 token puts the account in the channel slot and leaves the
 * uid slot empty, and the MAC input is the plain concatenation `appId || channel || uid || m`
 * (docs/tokens.md). An RTC token for channel = the account and uid 0 (an empty uid slot) therefore
 * has exactly an RTM token's MAC input; Agora's service was seen to log it in (AgoraIO/RTM #128,
 * #129, confirmed by a maintainer). The documented rule refuses it (`not_rtm_token`).
 */
import { crc32 } from "node:zlib";
import type { ParsedToken006 } from "../parsed-token.js";

/** The 006 RTC join-channel privilege id (kJoinChannel). */
export const PRIVILEGE_JOIN_CHANNEL = 1;

/**
 * For a 006 token whose MAC already verified for `uid` and which has no RTM login privilege: the
 * value of its RTC join privilege (absolute Unix seconds, 0 = no privilege-level limit) when the
 * token names `uid` as its channel with an empty uid slot; undefined otherwise, and then the token
 * stays `not_rtm_token`.
 *
 * The channel and uid are known only through the token's two CRC fields, which the MAC does not
 * cover (docs/tokens.md): the check holds for every token an official builder wrote, and it is what
 * keeps out an RTC token whose channel differs from the account but whose channel and uid happen to
 * concatenate to it (`"al"` + `"ice"` for `alice`), or one for the account with an empty channel.
 */
export function rtcJoinPrivilege(t: ParsedToken006, uid: string): number | undefined {
  // crc32("") is 0: an empty uid slot (an RTC uid of 0) has a zero uid CRC.
  if (t.crcUid !== 0 || t.crcChannel !== crc32(uid)) return undefined;
  let value: number | undefined;
  // The official parsers build an object from the map: the last entry of a key wins.
  for (const [k, v] of t.privileges) if (k === PRIVILEGE_JOIN_CHANNEL) value = v;
  return value;
}
