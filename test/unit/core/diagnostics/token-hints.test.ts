/**
 * The hint rules (issue 10, Build item 4; docs/hints.md), one table row per case: the exact codes
 * that fire, and for each code a near miss that must not fire it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HINT_CODES, HINT_SUMMARIES, HINTED_REASONS, listedHintFacts, messageWithHints, NO_FACTS, tokenHints, type HintFacts, type HintInput } from "../../../../core/diagnostics/index.js";
import { REASONS, type Reason } from "../../../../core/errors.js";
import { APP_ID, CERT, ISSUE_TS, OTHER_CERT, craft006, craft007, rtcService, rtm2Service, rtmService } from "../token/token-fixtures.js";

const DAY = 86_400;
const NOW = ISSUE_TS + 60;
const OTHER_APP_ID = "ffffffffffffffffffffffffffffffff";
const PENDING_CERT = "11112222333344445555666677778888";

function hints(token: string | null, reason: Reason | null, o: Partial<HintInput> = {}, facts: HintFacts = NO_FACTS) {
  return tokenHints({ token, appId: APP_ID, uid: "alice", reason, now: NOW, maxLifetimeSeconds: DAY, ...o }, facts);
}
const codes = (...a: Parameters<typeof hints>): string[] => hints(...a).map((h) => h.code);

const pendingFacts: HintFacts = { knowsProject: () => false, pendingCertificates: () => [{ value: PENDING_CERT, activeAt: ISSUE_TS + 3600 }], deletedCertificate: () => null };

describe("the code list", () => {
  it("is closed, has a summary per code, and the ten codes the issue names", () => {
    expect(Object.keys(HINT_SUMMARIES).sort()).toEqual([...HINT_CODES].sort());
    expect([...HINT_CODES].sort()).toEqual(
      [
        "rtc_token",
        "expire_looks_like_timestamp",
        "lifetime_capped",
        "built_for_other_account",
        "app_id_as_token",
        "token_from_future",
        "privilege_before_issue",
        "other_project_token",
        "certificate_not_active_yet",
        "deleted_certificate",
      ].sort(),
    );
  });

  it("docs/hints.md has a table row for every code, and no other", () => {
    const doc = readFileSync(new URL("../../../../docs/hints.md", import.meta.url), "utf8");
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual([...HINT_CODES]);
  });

  it("hints are appended to a message as [code] sentence, the base message first", () => {
    expect(messageWithHints("The token has expired.", [{ code: "lifetime_capped", message: "Cut." }, { code: "token_from_future", message: "Skew." }])).toBe(
      "The token has expired. [lifetime_capped] Cut. [token_from_future] Skew.",
    );
  });

  it("the wire carries hints for the token-related refusals only", () => {
    const hinted = REASONS.filter((r) => HINTED_REASONS.has(r));
    expect(hinted).toEqual(["malformed", "unsupported_version", "app_id_mismatch", "invalid_signature", "not_rtm_token", "uid_mismatch", "token_expired", "privilege_expired", "token_required", "token_not_accepted", "unknown_app_id"]);
  });
});

describe("each code fires for its case, and not for the near miss", () => {
  const rtc006 = craft006({ channel: "room", uid: "7", privileges: [[1, ISSUE_TS + 3600], [2, ISSUE_TS + 3600]] });
  const rtc007 = craft007({ services: [rtcService("room", "7", [[1, 3600]])] });
  const rtcPlusRtm = craft007({ services: [rtcService("room", "7", [[1, 3600]]), rtmService("alice")] });
  const nowPlus3600 = craft007({ expire: ISSUE_TS + 3600, services: [rtmService("alice", [[1, ISSUE_TS + 3600]])] });
  const sevenDays = craft007({ expire: 7 * DAY, services: [rtmService("alice", [[1, 7 * DAY]])] });

  it.each([
    ["rtc_token: 006 RTC token (its MAC fails for the account)", rtc006, "invalid_signature", {}, ["rtc_token"]],
    ["rtc_token: 007 RTC-only token", rtc007, "not_rtm_token", {}, ["rtc_token"]],
    ["no rtc_token: an RTC+RTM token", rtcPlusRtm, "ok", {}, []],
    ["app_id_as_token: the App ID sent as the token", APP_ID, "unsupported_version", {}, ["app_id_as_token"]],
    ["app_id_as_token: any 32 hex characters (a pasted certificate too)", CERT.toUpperCase(), "unsupported_version", {}, ["app_id_as_token"]],
    ["no app_id_as_token on an accept (rtm2's App ID login)", APP_ID, "ok", {}, []],
    ["no app_id_as_token for 33 characters", `${APP_ID}0`, "unsupported_version", {}, []],
    ["built_for_other_account: 006 built for bob", craft006({ channel: "bob" }), "invalid_signature", {}, ["built_for_other_account"]],
    ["built_for_other_account: 006 with the account in the uid slot still names alice", craft006({ channel: "", uid: "alice", certificate: OTHER_CERT }), "invalid_signature", {}, []],
    ["no built_for_other_account: 006 for alice, another certificate", craft006({ certificate: OTHER_CERT }), "invalid_signature", {}, []],
    ["built_for_other_account: 007 user id in another case", craft007({ services: [rtmService("Alice")] }), "uid_mismatch", {}, ["built_for_other_account"]],
    ["built_for_other_account: 007 user id with spaces around it", craft007({ services: [rtmService(" alice ")] }), "uid_mismatch", {}, ["built_for_other_account"]],
    ["built_for_other_account: 007 RTM2 user id in another case", craft007({ services: [rtm2Service("ALICE", [[1, 3600]])] }), "uid_mismatch", {}, ["built_for_other_account"]],
    ["no built_for_other_account: 007 for bob", craft007({ services: [rtmService("bob")] }), "uid_mismatch", {}, []],
    ["token_from_future: 007 issued 120 s ahead", craft007({ issueTs: NOW + 120 }), "ok", {}, ["token_from_future"]],
    ["token_from_future: 006 whose ts - 24 h is ahead", craft006({ ts: NOW + DAY + 5, privileges: [[1000, 0]] }), "ok", {}, ["token_from_future"]],
    ["no token_from_future at the issue second", craft007({ issueTs: NOW }), "ok", {}, []],
    ["privilege_before_issue: 006 privilege 3600 (a duration)", craft006({ privileges: [[1000, 3600]] }), "privilege_expired", {}, ["privilege_before_issue"]],
    ["no privilege_before_issue: 006 privilege 0", craft006({ privileges: [[1000, 0]] }), "ok", {}, []],
    ["expire_looks_like_timestamp + lifetime_capped: 007 now + 3600", nowPlus3600, "ok", {}, ["expire_looks_like_timestamp", "lifetime_capped"]],
    ["expire_looks_like_timestamp only, with the cap off", nowPlus3600, "ok", { maxLifetimeSeconds: 0 }, ["expire_looks_like_timestamp"]],
    ["expire_looks_like_timestamp: 006 privilege two timestamps added", craft006({ privileges: [[1000, ISSUE_TS + ISSUE_TS]] }), "ok", {}, ["expire_looks_like_timestamp"]],
    ["lifetime_capped: a 7-day token", sevenDays, "ok", {}, ["lifetime_capped"]],
    ["lifetime_capped: a 7-day token refused 25 h after issue", sevenDays, "token_expired", { now: ISSUE_TS + 25 * 3600 }, ["lifetime_capped"]],
    ["no lifetime_capped: exactly 24 h", craft007({ expire: DAY, services: [rtmService("alice", [[1, DAY]])] }), "ok", {}, []],
    ["no lifetime_capped: a 006 token (ts is issue + 24 h)", craft006({ privileges: [[1000, ISSUE_TS + 7 * DAY]] }), "ok", {}, []],
    ["lifetime_capped: a 006 token under a 1 h cap", craft006({ privileges: [[1000, 0]] }), "ok", { maxLifetimeSeconds: 3600 }, ["lifetime_capped"]],
    ["nothing for a sound token", craft007(), "ok", {}, []],
    ["nothing for an undecodable token", "007AAAA", "malformed", {}, []],
    ["nothing without a token", null, "token_required", {}, []],
  ] as const)("%s", (_name, token, reason, o, expected) => {
    expect(codes(token, reason, o)).toEqual(expected);
  });

  it("other_project_token: the token's App ID is another project the facts know, and only then", () => {
    const token = craft007({ appId: OTHER_APP_ID });
    const knows = listedHintFacts({ knownAppIds: [OTHER_APP_ID.toUpperCase()] });
    expect(codes(token, "app_id_mismatch", {}, knows)).toEqual(["other_project_token"]);
    expect(hints(token, "app_id_mismatch", {}, knows)[0]?.message).toContain(`App ID ${OTHER_APP_ID}, another project`);
    expect(codes(token, "app_id_mismatch")).toEqual([]);
    expect(codes(craft007(), "ok", {}, listedHintFacts({ knownAppIds: [APP_ID] }))).toEqual([]); // its own project
    expect(codes(token, "unknown_app_id", {}, knows)).toEqual(["other_project_token"]); // the login named an unknown App ID
  });

  it("certificate_not_active_yet: signed with the pending certificate, with its activation time", () => {
    const token = craft007({ certificate: PENDING_CERT });
    const h = hints(token, "invalid_signature", {}, pendingFacts);
    expect(h.map((x) => x.code)).toEqual(["certificate_not_active_yet"]);
    expect(h[0]?.message).toContain("active at 2024-06-10T07:13:20Z");
    expect(codes(token, "token_not_accepted", {}, pendingFacts)).toEqual(["certificate_not_active_yet"]); // an App-ID-only project until then
    expect(codes(craft007({ certificate: OTHER_CERT }), "invalid_signature", {}, pendingFacts)).toEqual([]);
    expect(codes(token, "ok", {}, pendingFacts)).toEqual([]); // accepted: nothing to explain
    // 006: the login uid is in the MAC, so the pending certificate is checked for this uid.
    expect(codes(craft006({ certificate: PENDING_CERT }), "invalid_signature", {}, pendingFacts)).toEqual(["certificate_not_active_yet"]);
  });

  it("deleted_certificate: only for invalid_signature, and only with evidence from the facts", () => {
    const token = craft007({ certificate: OTHER_CERT });
    const deleted = listedHintFacts({ deletedCertificates: [OTHER_CERT] });
    const h = hints(token, "invalid_signature", {}, deleted);
    expect(h).toEqual([{ code: "deleted_certificate", message: "The token is signed with a certificate this project has deleted: build new tokens with the project's current certificate." }]);
    const dated: HintFacts = { ...NO_FACTS, deletedCertificate: () => ({ deletedAt: ISSUE_TS }) };
    expect(hints(token, "invalid_signature", {}, dated)[0]?.message).toContain("(deleted at 2024-06-10T06:13:20Z)");
    expect(codes(token, "token_expired", {}, deleted)).toEqual([]);
    expect(codes(craft007({ certificate: PENDING_CERT }), "invalid_signature", {}, deleted)).toEqual([]);
  });
});

describe("the sentences", () => {
  it("name values a user can act on, and never a certificate", () => {
    const all = [
      ...hints(craft007({ expire: ISSUE_TS + 3600, issueTs: NOW + 30, services: [rtmService("alice", [[1, ISSUE_TS + 3600]])] }), "ok"),
      ...hints(craft007({ services: [rtmService("Alice")] }), "uid_mismatch"),
      ...hints(craft007({ certificate: PENDING_CERT }), "invalid_signature", {}, pendingFacts),
      ...hints(craft007({ certificate: OTHER_CERT }), "invalid_signature", {}, listedHintFacts({ deletedCertificates: [OTHER_CERT] })),
      ...hints(CERT, "unsupported_version"),
    ];
    expect(all.map((h) => h.code).sort()).toEqual(["app_id_as_token", "built_for_other_account", "certificate_not_active_yet", "deleted_certificate", "expire_looks_like_timestamp", "lifetime_capped", "token_from_future"].sort());
    for (const h of all) {
      expect(h.message).toMatch(/^[A-Z].*[.]$/);
      for (const secret of [CERT, OTHER_CERT, PENDING_CERT]) expect(h.message.toLowerCase()).not.toContain(secret);
    }
    const byCode = new Map(all.map((h) => [h.code, h.message]));
    expect(byCode.get("built_for_other_account")).toContain('user id "Alice"');
    expect(byCode.get("token_from_future")).toContain("30 s ahead of the gateway's clock");
    expect(byCode.get("expire_looks_like_timestamp")).toContain(`${ISSUE_TS + 3600} s, looks like a Unix timestamp`);
    expect(byCode.get("lifetime_capped")).toContain("capped at 86400 s (MAX_TOKEN_LIFETIME_SECONDS), so it expires at 2024-06-11T06:14:50Z");
  });

  it("a user id quoted from a token is cut at 64 characters", () => {
    const long = `${"A".repeat(100)}`;
    const h = hints(craft007({ services: [rtmService(long)] }), "uid_mismatch", { uid: "a".repeat(100) });
    expect(h[0]?.message).toContain(`"${"A".repeat(64)}…"`);
  });

  it("codes come in the list's order, each once", () => {
    const token = craft007({ expire: ISSUE_TS + 3600, issueTs: NOW + 30, services: [rtcService("room", "7", [[1, ISSUE_TS + 3600]])] });
    expect(codes(token, "not_rtm_token")).toEqual(["rtc_token", "token_from_future", "expire_looks_like_timestamp", "lifetime_capped"]);
  });

  it("for a token alone (inspect: no login, no decision) only the token's own facts count", () => {
    expect(tokenHints({ token: APP_ID, appId: null, uid: null, reason: null, now: NOW, maxLifetimeSeconds: DAY })).toEqual([
      expect.objectContaining({ code: "app_id_as_token" }),
    ]);
    const token = craft007({ appId: OTHER_APP_ID, expire: 7 * DAY, services: [rtmService("Alice", [[1, 7 * DAY]])] });
    const facts = listedHintFacts({ knownAppIds: [OTHER_APP_ID] });
    expect(tokenHints({ token, appId: null, uid: null, reason: null, now: NOW, maxLifetimeSeconds: DAY }, facts).map((h) => h.code)).toEqual(["lifetime_capped"]);
  });
});

describe("privilege_before_issue says which mistake it sees", () => {
  it("a small value is a duration given for an absolute time; an absolute past time is an expiry already over", () => {
    const asDuration = hints(craft006({ privileges: [[1000, 3600]] }), "privilege_expired").find((h) => h.code === "privilege_before_issue");
    expect(asDuration?.message).toContain("not a duration (3600)");
    const pastTime = hints(craft006({ privileges: [[1000, ISSUE_TS - 60]] }), "privilege_expired").find((h) => h.code === "privilege_before_issue");
    expect(pastTime?.message).toContain("had already expired when the token was built");
    expect(pastTime?.message).not.toContain("not a duration");
  });
});
