/**
 * Diagnostic hints (docs/hints.md): after a decision, what probably went wrong with the token and
 * what the user can do. A pure function of the token, the login, the decision's reason, the time,
 * the lifetime cap and the {@link HintFacts} port; it never changes a decision, and a caller
 * computes it only where it is shown (refusals, explain, the CLI), never on an accepted login.
 */
import { crc32 } from "node:zlib";
import { REASONS, type Reason } from "../errors.js";
import { issueTime, lifetimeCapAt } from "../token/lifetime-cap.js";
import type { ParsedToken, ParsedToken006, ParsedToken007 } from "../token/parsed-token.js";
import { parseToken } from "../token/parse-token.js";
import { DEFAULT_TOKEN_LIMITS, type TokenLimits } from "../token/token-limits.js";
import { PRIVILEGE_RTM_LOGIN, privilegeValue } from "../token/v006/verify.js";
import { SERVICE_TYPE } from "../token/v007/services.js";
import { rtmLoginService } from "../token/v007/verify.js";
import { HINT_CODES, type Hint, type HintCode } from "./hint-codes.js";
import { NO_FACTS, type HintFacts } from "./hint-facts.js";
import { isoUtc } from "./iso-time.js";
import { signedWith } from "./signed-with.js";

/** A lifetime above this many seconds is a Unix timestamp passed where a duration belongs. */
export const TIMESTAMP_LIKE_LIFETIME_SECONDS = 1_000_000_000;

/** Longest user id quoted in a sentence, in characters (a token may carry a much longer one). */
const QUOTE_MAX = 64;

/** What the hints are computed from. */
export interface HintInput {
  /** The token as the client presented it, before any normalisation; null when none was given. */
  readonly token: string | null;
  /**
   * The token as decoded by the checks, when they got that far; absent (undefined) to decode it
   * here (with `limits`); null when it is known not to decode.
   */
  readonly parsed?: ParsedToken | null;
  /** The login's App ID; null when there is no login (`token inspect`). */
  readonly appId: string | null;
  /** The login's uid; null when there is no login (`token inspect`). */
  readonly uid: string | null;
  /** The decision's reason (`ok` for an accept); null when nothing was decided (`token inspect`). */
  readonly reason: Reason | null;
  /** The time the decision was taken at, Unix seconds. */
  readonly now: number;
  /** The lifetime cap, seconds (0 = none), as the decision used it (docs/token-lifetime.md). */
  readonly maxLifetimeSeconds: number;
  readonly limits?: TokenLimits;
}

/**
 * The reasons whose refusals carry hints on the wire: the token checks, and the auth-mode and
 * project checks a token can explain. Session and rate refusals (`too_often`, …) and "could not
 * decide" (`store_unavailable`, `internal_error`) carry none.
 */
export const HINTED_REASONS: ReadonlySet<Reason> = new Set<Reason>(
  // core/errors.ts lists the token checks, then the auth-mode and project checks, in this span.
  REASONS.slice(REASONS.indexOf("malformed"), REASONS.indexOf("unknown_app_id") + 1),
);

const HEX32 = /^[0-9a-fA-F]{32}$/;

function quote(s: string): string {
  return JSON.stringify(s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}…` : s);
}

function seconds(n: number): string {
  return `${n} s`;
}

/** The RTM login privilege of a 006 token: its absolute time (0 = no limit), or undefined. */
function privilege006(t: ParsedToken006): number | undefined {
  return privilegeValue(t.privileges, PRIVILEGE_RTM_LOGIN);
}

/** The expiry a token states before any cap: its own expiry and its RTM login privilege's, the earlier. */
function statedExpiry(t: ParsedToken): number {
  if (t.version === "006") {
    const p = privilege006(t);
    return p === undefined || p === 0 ? t.ts : Math.min(t.ts, p);
  }
  const token = t.issueTs + t.expire;
  const login = rtmLoginService(t);
  return login === null || login.privilege === 0 ? token : Math.min(token, t.issueTs + login.privilege);
}

function isRtcToken(t: ParsedToken): boolean {
  if (t.version === "006") return t.privileges.length > 0 && privilege006(t) === undefined;
  return rtmLoginService(t) === null && t.services.some((s) => s.type === SERVICE_TYPE.rtc);
}

/** 007: a login service's user id that equals the uid only after case folding and trimming. */
function nearUserId(t: ParsedToken007, uid: string): string | null {
  const fold = (s: string): string => s.trim().toLowerCase();
  for (const s of t.services) {
    if (s.type !== SERVICE_TYPE.rtm && s.type !== SERVICE_TYPE.rtm2) continue;
    const id = s.fields["userId"];
    if (!Buffer.isBuffer(id)) continue;
    const text = id.toString("utf8");
    if (text !== uid && fold(text) === fold(uid)) return text;
  }
  return null;
}

/** 006: an RTM token whose account checksum names neither slot as the login uid. */
function crcNamesOtherAccount(t: ParsedToken006, uid: string): boolean {
  const c = crc32(Buffer.from(uid, "utf8"));
  return privilege006(t) !== undefined && t.crcChannel !== c && t.crcUid !== c;
}

/** The largest lifetime the token states, seconds after issue (006: its RTM privilege's). */
function longestLifetime(t: ParsedToken): number {
  if (t.version === "006") {
    const p = privilege006(t);
    return p === undefined || p === 0 ? 0 : p - issueTime(t);
  }
  const login = rtmLoginService(t);
  return Math.max(t.expire, login?.privilege ?? 0);
}

/**
 * The hints for one decision (or, with `appId`, `uid` and `reason` null, for a token alone), in
 * the order of {@link HINT_CODES}, each code at most once. `facts` answers the world-dependent
 * ones; {@link NO_FACTS} (the default) leaves them out.
 */
export function tokenHints(input: HintInput, facts: HintFacts = NO_FACTS): Hint[] {
  const found = new Map<HintCode, string>();
  const { token, reason } = input;
  const refused = reason !== null && reason !== "ok";

  if (token !== null && HEX32.test(token) && reason !== "ok") {
    found.set(
      "app_id_as_token",
      "The token is 32 hexadecimal characters, an App ID (or an App Certificate), not a token: for an App ID login pass no token, otherwise build a token on your server with the App Certificate.",
    );
  }

  let parsed = input.parsed;
  if (parsed === undefined) {
    const r = token === null ? null : parseToken(token, input.limits ?? DEFAULT_TOKEN_LIMITS);
    parsed = r !== null && r.ok ? r.token : null;
  }
  if (parsed !== null) tokenFacts(parsed, input, facts, refused, found);
  return HINT_CODES.filter((c) => found.has(c)).map((code) => ({ code, message: found.get(code) as string }));
}

function tokenFacts(t: ParsedToken, input: HintInput, facts: HintFacts, refused: boolean, found: Map<HintCode, string>): void {
  const { appId, uid, reason, now } = input;
  const issuedAt = issueTime(t);

  if (isRtcToken(t)) {
    found.set(
      "rtc_token",
      "This is an RTC token: it carries RTC privileges and no RTM login, so Agora's documented rules refuse it for RTM (only ACCEPT_006_RTC_AS_RTM, as observed, takes an 006 one whose channel is the account); build the login token with an RTM token builder (RtmTokenBuilder) for this user id.",
    );
  }

  const otherApp = appId !== null && t.appId.toLowerCase() !== appId.toLowerCase();
  if (otherApp && facts.knowsProject(t.appId)) {
    found.set(
      "other_project_token",
      `The token was built for App ID ${t.appId}, another project on this gateway: log in with that App ID, or build the token with this project's App ID and certificate.`,
    );
  }

  if (uid !== null && (reason === "invalid_signature" || reason === "uid_mismatch")) {
    if (t.version === "006" && reason === "invalid_signature" && crcNamesOtherAccount(t, uid)) {
      found.set(
        "built_for_other_account",
        "The token was built for another user id: its account checksum (CRC-32) does not match the login uid; build the token for exactly this user id.",
      );
    } else if (t.version === "007" && reason === "uid_mismatch") {
      const near = nearUserId(t, uid);
      if (near !== null) {
        found.set(
          "built_for_other_account",
          `The token was built for user id ${quote(near)}, which differs from the login uid only in letter case or surrounding spaces: log in with exactly that user id, or build the token for this one.`,
        );
      }
    }
  }

  if (refused && appId !== null && uid !== null && !otherApp) {
    const pending = facts.pendingCertificates(appId, now).find((c) => signedWith(t, uid, c.value));
    if (pending !== undefined) {
      const when = pending.activeAt === null ? "" : ` (it becomes active at ${isoUtc(pending.activeAt)})`;
      found.set(
        "certificate_not_active_yet",
        `The token is signed with a certificate of this project that is still pending activation${when}: wait until it is active, or build tokens with the active certificate.`,
      );
    }
    if (reason === "invalid_signature") {
      const deleted = facts.deletedCertificate(appId, t, uid);
      if (deleted !== null) {
        const when = deleted.deletedAt === null ? "" : ` (deleted at ${isoUtc(deleted.deletedAt)})`;
        found.set("deleted_certificate", `The token is signed with a certificate this project has deleted${when}: build new tokens with the project's current certificate.`);
      }
    }
  }

  if (issuedAt > now) {
    const which = t.version === "006" ? "issue time (ts - 24 h)" : "issue time";
    found.set(
      "token_from_future",
      `The token's ${which}, ${isoUtc(issuedAt)}, is ${seconds(issuedAt - now)} ahead of the gateway's clock: the clock of the server that built it runs fast; synchronise it (NTP).`,
    );
  }

  if (t.version === "006") {
    const p = privilege006(t);
    if (p !== undefined && p !== 0 && p < issuedAt) {
      found.set(
        "privilege_before_issue",
        p < TIMESTAMP_LIKE_LIFETIME_SECONDS
          ? `The 006 RTM privilege time, ${p} (${isoUtc(p)}), is before the token's issue time: 006 builders take an absolute Unix time (now + 3600), not a duration (3600).`
          : `The 006 RTM privilege time, ${p} (${isoUtc(p)}), is before the token's issue time: the privilege had already expired when the token was built; give an expiry after the issue time (now + a duration).`,
      );
    }
  }

  const lifetime = longestLifetime(t);
  if (lifetime > TIMESTAMP_LIKE_LIFETIME_SECONDS) {
    found.set(
      "expire_looks_like_timestamp",
      t.version === "007"
        ? `The token's lifetime, ${seconds(lifetime)}, looks like a Unix timestamp: 007 builders take a duration in seconds (3600), not now + 3600.`
        : `The 006 RTM privilege time is ${seconds(lifetime)} after the token's issue time, which looks like two timestamps added: pass now + a duration.`,
    );
  }

  const capAt = lifetimeCapAt(issuedAt, input.maxLifetimeSeconds);
  const stated = statedExpiry(t);
  if (capAt !== null && capAt < stated) {
    found.set(
      "lifetime_capped",
      `The token asks to stay valid until ${isoUtc(stated)}, ${seconds(stated - issuedAt)} after its issue time; lifetimes are capped at ${seconds(input.maxLifetimeSeconds)} (MAX_TOKEN_LIFETIME_SECONDS), so it expires at ${isoUtc(capAt)}: build tokens with a lifetime of at most ${seconds(input.maxLifetimeSeconds)}.`,
    );
  }
}
