/**
 * The RTM user-id rules (docs/agora-behaviour.md, "User ids"): a string of 1–64 bytes from the documented
 * character set (a–z A–Z 0–9, space and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,),
 * and not the string "null". Non-ASCII is refused, so bytes and characters coincide.
 */
const ALLOWED = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]{1,64}$/;

/** Quirks some SDK versions add on top of the documented rules. */
export interface UidQuirks {
  /** Refuse a leading space (C++ 1.x header, Flutter docs). Default false (Web 1.6.0 accepts it). */
  readonly refuseLeadingSpace: boolean;
  /** Web 2.3.0: refuse a leading `_` and any `.` for rtm2 sessions. Default false. */
  readonly web2Validator: boolean;
}

export const DEFAULT_UID_QUIRKS: UidQuirks = Object.freeze({ refuseLeadingSpace: false, web2Validator: false });

/** Why a uid is invalid, or null when it is valid. */
export function uidProblem(uid: unknown, rtm2: boolean, quirks: UidQuirks = DEFAULT_UID_QUIRKS): string | null {
  if (typeof uid !== "string") return "uid must be a string";
  if (uid.length === 0) return "uid is empty";
  if (uid === "null") return 'uid may not be "null"';
  if (!ALLOWED.test(uid)) return uid.length > 64 ? "uid is longer than 64 bytes" : "uid has a character outside the allowed set";
  if (quirks.refuseLeadingSpace && uid.startsWith(" ")) return "uid starts with a space";
  if (rtm2 && quirks.web2Validator && (uid.startsWith("_") || uid.includes("."))) return "uid refused by the RTM 2.x Web validator";
  return null;
}
