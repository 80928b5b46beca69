import type { ActiveCertificate } from "../certificate/active-certificate.js";
import type { TokenLimits } from "./token-limits.js";

/** What a verification needs: a pure function of these values. */
export interface VerifyRequest {
  readonly token: string;
  /** The App ID the gateway is configured with for this login. */
  readonly appId: string;
  /** The user id presented at login. */
  readonly uid: string;
  /** The active certificates, primary first; one or two. An empty list matches nothing. */
  readonly certificates: readonly ActiveCertificate[];
  /** The current time, Unix seconds. */
  readonly now: number;
  readonly limits?: TokenLimits;
  /**
   * 006 RTM privilege expiry: `enforce` (default, docs/tokens.md, "Expiry") or `ignore`, in which
   * only the token-level 24-hour `ts` limits a 006 token, as Agora's RTM service reportedly did.
   */
  readonly privilege006?: "enforce" | "ignore";
  /**
   * The "observed" 006 rule (docs/fidelity.md, `ACCEPT_006_RTC_AS_RTM`): a 006 token without the
   * RTM login privilege but with the RTC join privilege, whose channel is `uid` and whose uid slot
   * is empty, counts as an RTM token, the join privilege standing in for the login one
   * (v006/rtc-join.ts). Absent or false: `not_rtm_token` (docs/tokens.md, "The RTM grant and the uid").
   */
  readonly accept006RtcJoin?: boolean;
  /**
   * The lifetime cap, seconds (docs/token-lifetime.md): the token's effective expiry is at most
   * its issue time (007 `issueTs`; 006 `ts - 86400`) plus this. A token used past the capped
   * expiry is `token_expired`, and `expiresAt` of the result is capped. `0` or absent: no cap,
   * the expiry checks of docs/tokens.md, "Expiry", without the cap. The gateway passes
   * `MAX_TOKEN_LIFETIME_SECONDS` (default 86400, Agora's documented 24 h).
   */
  readonly maxLifetimeSeconds?: number;
}
