/**
 * The lifetime cap (issue 10, Build item 2; docs/token-lifetime.md): a token's effective expiry is
 * at most its issue time (007 issueTs; 006 ts - 86400) + maxLifetimeSeconds, covering 007 expire,
 * 007 login privileges and the 006 privilege beside 006's own ts. 0 or absent switches it off.
 */
import { describe, expect, it } from "vitest";
import { TOKEN_006_LIFETIME_SECONDS, parseToken, verifyToken, type VerifyResult } from "../../../../core/token/index.js";
import { expiryReason } from "../../../../core/token/expiry-reason.js";
import { cappedTokenExpiry, issueTime, lifetimeCapAt, TS_AFTER_ISSUE_006 } from "../../../../core/token/lifetime-cap.js";
import { APP_ID, CERT, ISSUE_TS, certs, craft006, craft007, rtcService, rtm2Service, rtmService } from "./token-fixtures.js";

const DAY = 86_400;

function verify(token: string, now: number, maxLifetimeSeconds?: number): VerifyResult {
  return verifyToken({ token, appId: APP_ID, uid: "alice", certificates: certs(CERT), now, ...(maxLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds }) });
}

/** `valid@expiresAt` or the reason: one comparable string per verdict. */
const verdict = (r: VerifyResult): string => (r.valid ? `valid@${r.token.expiresAt}` : r.reason);

/** The builder mistake of docs/token-lifetime.md: now + 3600 where 007 wants seconds. */
const TIMESTAMP_AS_EXPIRE = ISSUE_TS + 3600;

describe("the helpers", () => {
  it("006 issue time is ts - 86400, the same 24 h the builders use", () => {
    expect(TS_AFTER_ISSUE_006).toBe(TOKEN_006_LIFETIME_SECONDS);
    const t006 = parseToken(craft006({ ts: ISSUE_TS + DAY }));
    const t007 = parseToken(craft007({ issueTs: ISSUE_TS }));
    expect([t006.ok && issueTime(t006.token), t007.ok && issueTime(t007.token)]).toEqual([ISSUE_TS, ISSUE_TS]);
  });

  it("0 or no value is no cap; the cap only ever shortens", () => {
    expect([lifetimeCapAt(ISSUE_TS, 0), lifetimeCapAt(ISSUE_TS, undefined), lifetimeCapAt(ISSUE_TS, DAY)]).toEqual([null, null, ISSUE_TS + DAY]);
    expect([cappedTokenExpiry(100, null), cappedTokenExpiry(100, 50), cappedTokenExpiry(100, 150)]).toEqual([100, 50, 100]);
  });
});

describe("007: expire and the login privilege are capped at issueTs + cap", () => {
  it("the now + 3600 mistake: accepted, its expiry cut to issue + 24 h", () => {
    const token = craft007({ expire: TIMESTAMP_AS_EXPIRE, services: [rtmService("alice", [[1, TIMESTAMP_AS_EXPIRE]])] });
    expect(verdict(verify(token, ISSUE_TS + 60, DAY))).toBe(`valid@${ISSUE_TS + DAY}`);
    // The expiry second itself is valid; the next one is token_expired (the cap shortens the token's lifetime).
    expect(verdict(verify(token, ISSUE_TS + DAY, DAY))).toBe(`valid@${ISSUE_TS + DAY}`);
    const after = verify(token, ISSUE_TS + DAY + 1, DAY);
    expect(after.valid ? null : { reason: after.reason, detail: after.detail }).toEqual({
      reason: "token_expired",
      detail: `007 expiry ${ISSUE_TS + TIMESTAMP_AS_EXPIRE} capped to issueTs + 86400 s = ${ISSUE_TS + DAY} < now ${ISSUE_TS + DAY + 1}`,
    });
    // Without a cap (0, or not given) the token states it lives until 2078.
    expect(verdict(verify(token, ISSUE_TS + 60, 0))).toBe(`valid@${ISSUE_TS + TIMESTAMP_AS_EXPIRE}`);
    expect(verdict(verify(token, ISSUE_TS + 60))).toBe(`valid@${ISSUE_TS + TIMESTAMP_AS_EXPIRE}`);
  });

  it("a 7-day token: valid 24 h after issue, token_expired 25 h after", () => {
    const token = craft007({ expire: 7 * DAY, services: [rtmService("alice", [[1, 7 * DAY]])] });
    expect(verdict(verify(token, ISSUE_TS + DAY, DAY))).toBe(`valid@${ISSUE_TS + DAY}`);
    expect(verdict(verify(token, ISSUE_TS + 25 * 3600, DAY))).toBe("token_expired");
    expect(verdict(verify(token, ISSUE_TS + 25 * 3600, 0))).toBe(`valid@${ISSUE_TS + 7 * DAY}`);
  });

  it.each([
    // [expire, login privilege, cap, expiresAt, verdict one second after expiresAt]
    [7 * DAY, 0, DAY, ISSUE_TS + DAY, "token_expired"], // privilege 0 = no privilege limit; the cap still holds
    [3600, 7 * DAY, DAY, ISSUE_TS + 3600, "token_expired"], // the token's own expiry is the earliest
    [7 * DAY, 600, DAY, ISSUE_TS + 600, "privilege_expired"], // a privilege ending first keeps its reason
    [7 * DAY, 2 * DAY, DAY, ISSUE_TS + DAY, "token_expired"], // a privilege past the cap is cut with the token
    [DAY, DAY, DAY, ISSUE_TS + DAY, "token_expired"], // exactly 24 h: nothing to cut
    [7200, 7200, 3600, ISSUE_TS + 3600, "token_expired"], // a smaller cap
  ])("expire %i, privilege %i, cap %i → expires %i, then %s", (expire, privilege, cap, expiresAt, then) => {
    const token = craft007({ expire, services: [rtmService("alice", [[1, privilege]])] });
    expect(verdict(verify(token, ISSUE_TS, cap))).toBe(`valid@${expiresAt}`);
    expect(verdict(verify(token, expiresAt, cap))).toBe(`valid@${expiresAt}`);
    expect(verdict(verify(token, expiresAt + 1, cap))).toBe(then);
  });

  it("an RTM2 (type 8) login privilege is capped as type 2's", () => {
    const token = craft007({ expire: TIMESTAMP_AS_EXPIRE, services: [rtm2Service("alice", [[1, TIMESTAMP_AS_EXPIRE]])] });
    expect(verdict(verify(token, ISSUE_TS + 60, DAY))).toBe(`valid@${ISSUE_TS + DAY}`);
    expect(verdict(verify(token, ISSUE_TS + DAY + 1, DAY))).toBe("token_expired");
  });

  it("an RTC+RTM token is capped by its RTM login", () => {
    const token = craft007({ expire: 3 * DAY, services: [rtcService("room", "7", [[1, 0]]), rtmService("alice", [[1, 3 * DAY]])] });
    expect(verdict(verify(token, ISSUE_TS, DAY))).toBe(`valid@${ISSUE_TS + DAY}`);
  });
});

describe("006: the privilege is capped at (ts - 86400) + cap, beside ts", () => {
  it("with the default 24 h cap nothing changes: ts is issue + 24 h already", () => {
    const token = craft006({ ts: ISSUE_TS + DAY, privileges: [[1000, ISSUE_TS + 7 * DAY]] });
    expect(verdict(verify(token, ISSUE_TS, DAY))).toBe(`valid@${ISSUE_TS + DAY}`);
    expect(verdict(verify(token, ISSUE_TS + DAY + 1, DAY))).toBe("token_expired");
  });

  it("a cap under 24 h shortens ts and a longer privilege; a shorter privilege keeps privilege_expired", () => {
    const long = craft006({ ts: ISSUE_TS + DAY, privileges: [[1000, ISSUE_TS + 7 * DAY]] });
    expect(verdict(verify(long, ISSUE_TS, 3600))).toBe(`valid@${ISSUE_TS + 3600}`);
    const after = verify(long, ISSUE_TS + 3601, 3600);
    expect(after.valid ? null : { reason: after.reason, detail: after.detail }).toEqual({
      reason: "token_expired",
      detail: `006 ts ${ISSUE_TS + DAY} capped to ts - 86400 + 3600 s = ${ISSUE_TS + 3600} < now ${ISSUE_TS + 3601}`,
    });
    const zero = craft006({ ts: ISSUE_TS + DAY, privileges: [[1000, 0]] });
    expect(verdict(verify(zero, ISSUE_TS, 3600))).toBe(`valid@${ISSUE_TS + 3600}`);
    const short = craft006({ ts: ISSUE_TS + DAY, privileges: [[1000, ISSUE_TS + 600]] });
    expect(verdict(verify(short, ISSUE_TS + 601, 3600))).toBe("privilege_expired");
  });

  it("a cap over 24 h never lengthens a 006 token", () => {
    const token = craft006({ ts: ISSUE_TS + DAY, privileges: [[1000, 0]] });
    expect(verdict(verify(token, ISSUE_TS, 7 * DAY))).toBe(`valid@${ISSUE_TS + DAY}`);
    expect(verdict(verify(token, ISSUE_TS + DAY + 1, 7 * DAY))).toBe("token_expired");
  });
});

describe("the legacy order reports a capped expiry too", () => {
  it("expiryReason: a bad-signature 7-day 007 token 25 h after issue is token_expired with the cap, nothing without", () => {
    const parsed = parseToken(craft007({ expire: 7 * DAY, services: [rtmService("alice", [[1, 7 * DAY]])], badSignature: true }));
    if (!parsed.ok) throw new Error("fixture does not decode");
    expect([expiryReason(parsed.token, ISSUE_TS + 25 * 3600, DAY), expiryReason(parsed.token, ISSUE_TS + 25 * 3600, 0), expiryReason(parsed.token, ISSUE_TS + 25 * 3600)]).toEqual([
      "token_expired",
      null,
      null,
    ]);
  });

  it("expiryReason: 006 under a 1 h cap", () => {
    const parsed = parseToken(craft006({ ts: ISSUE_TS + DAY, privileges: [[1000, 0]], badSignature: true }));
    if (!parsed.ok) throw new Error("fixture does not decode");
    expect([expiryReason(parsed.token, ISSUE_TS + 3600, 3600), expiryReason(parsed.token, ISSUE_TS + 3601, 3600)]).toEqual([null, "token_expired"]);
  });
});
