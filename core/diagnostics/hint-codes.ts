/**
 * The closed list of diagnostic hint codes (docs/hints.md). A hint tells a user what probably went
 * wrong with a token and what to do about it; it never decides anything: the decision and its
 * reason are taken first, by the checks, and hints are computed afterwards. New codes may be
 * appended; a code never changes meaning.
 */

/** Every hint code, in the order hints are listed (the most specific cause first). */
export const HINT_CODES = [
  "rtc_token",
  "app_id_as_token",
  "other_project_token",
  "built_for_other_account",
  "certificate_not_active_yet",
  "deleted_certificate",
  "token_from_future",
  "privilege_before_issue",
  "expire_looks_like_timestamp",
  "lifetime_capped",
] as const;

export type HintCode = (typeof HINT_CODES)[number];

/**
 * One hint: its code and one sentence a user can act on. The sentence may quote values read from
 * the token (times, an App ID, a user id) or the gateway's clock, never a certificate or a MAC.
 */
export interface Hint {
  readonly code: HintCode;
  readonly message: string;
}

/** When each code fires, in one line (the table of docs/hints.md says the same in full). */
export const HINT_SUMMARIES: Readonly<Record<HintCode, string>> = {
  rtc_token: "the token carries RTC privileges only, no RTM login",
  app_id_as_token: "the token is 32 hexadecimal characters: an App ID (or a certificate), not a token",
  other_project_token: "the token's App ID is another project known to this gateway",
  built_for_other_account: "006: the CRC fields do not match the login uid; 007: the user id differs from the login uid only by case or surrounding spaces",
  certificate_not_active_yet: "the token verifies against a certificate of this project still pending activation",
  deleted_certificate: "the token was verified before by a certificate of this project since deleted",
  token_from_future: "the token's issue time is after the gateway's clock (clock skew)",
  privilege_before_issue: "the 006 RTM privilege time is before the token's issue time (a duration passed as a time)",
  expire_looks_like_timestamp: "a lifetime above 10^9 seconds (a timestamp passed as a duration)",
  lifetime_capped: "the token asks for more than the lifetime cap; its expiry was cut to issue time + cap",
};

/**
 * A refusal's client-facing message with its hints appended, each as `[code] sentence`. The base
 * message, the code and the reason of the refusal are unchanged.
 */
export function messageWithHints(message: string, hints: readonly Hint[]): string {
  let out = message;
  for (const h of hints) out += ` [${h.code}] ${h.message}`;
  return out;
}
