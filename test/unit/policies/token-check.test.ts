/**
 * checkToken: the token verdict as the behaviour switches make it (docs/fidelity.md). The two 006
 * reports behind the observed preset, on the same inputs under both presets and the mixed settings:
 * AgoraIO/Tools #234 (a token bound to the wrong slots with a privilege time in 1970 got 6) and
 * AgoraIO/Tools #265 (a correctly built token with a privilege time in 1970 logged in).
 */
import { describe, expect, it } from "vitest";
import { checkToken, type TokenSwitches } from "../../../policies/token-check.js";
import { APP_ID, CERT, certs, craft006, craft007, ISSUE_TS, rtmService } from "../core/token/token-fixtures.js";

const NOW = ISSUE_TS + 60;
const TS = ISSUE_TS + 86_400;
const DOCUMENTED: TokenSwitches = { checkOrder: "spec", privilege006: "enforce", accept006RtcAsRtm: false };
const OBSERVED: TokenSwitches = { checkOrder: "legacy", privilege006: "ignore", accept006RtcAsRtm: true };

const check = (token: string, s: TokenSwitches, uid = "alice") => {
  const r = checkToken({ token, appId: APP_ID, uid, certificates: certs(CERT), now: NOW, maxLifetimeSeconds: 86_400 }, s);
  return r.valid ? "ok" : r.reason;
};

/** Tools #234: AccessToken(appId, cert, account, account), privileges 1000 and 1 at 100000 (1970). */
const WRONG_SLOTS_1970 = craft006({ channel: "alice", uid: "alice", ts: TS, privileges: [[1000, 100_000], [1, 100_000]] });
const WRONG_SLOTS_NO_TIME = craft006({ channel: "alice", uid: "alice", ts: TS, privileges: [[1000, 0], [1, 0]] });
/** Tools #265: a correctly built 006 RTM token whose privilege time is 12 (1970). */
const RIGHT_SLOTS_1970 = craft006({ channel: "alice", uid: "", ts: TS, privileges: [[1000, 12]] });

describe("checkToken: the presets on the same 006 inputs", () => {
  it.each([
    ["Tools #234 token (wrong slots, privilege in 1970)", WRONG_SLOTS_1970, "invalid_signature", "privilege_expired"],
    ["Tools #234 token with privilege 0", WRONG_SLOTS_NO_TIME, "invalid_signature", "invalid_signature"],
    ["Tools #265 token (right slots, privilege in 1970)", RIGHT_SLOTS_1970, "privilege_expired", "ok"],
  ] as const)("%s: documented %s, observed %s", (_what, token, documented, observed) => {
    expect(check(token, DOCUMENTED)).toBe(documented);
    expect(check(token, OBSERVED)).toBe(observed);
  });

  it("mixed: legacy order with the privilege enforced refuses both 1970 tokens for the privilege", () => {
    const mixed: TokenSwitches = { checkOrder: "legacy", privilege006: "enforce", accept006RtcAsRtm: false };
    expect([check(WRONG_SLOTS_1970, mixed), check(RIGHT_SLOTS_1970, mixed)]).toEqual(["privilege_expired", "privilege_expired"]);
  });

  it("mixed: spec order with the privilege ignored accepts the right token and reports the wrong one's signature", () => {
    const mixed: TokenSwitches = { checkOrder: "spec", privilege006: "ignore", accept006RtcAsRtm: false };
    expect([check(WRONG_SLOTS_1970, mixed), check(RIGHT_SLOTS_1970, mixed)]).toEqual(["invalid_signature", "ok"]);
  });

  it("the legacy detail names both the expiry and the binding failure it was reported before", () => {
    const r = checkToken({ token: WRONG_SLOTS_1970, appId: APP_ID, uid: "alice", certificates: certs(CERT), now: NOW }, OBSERVED);
    expect(r).toMatchObject({ valid: false, reason: "privilege_expired", detail: "legacy order: privilege_expired reported before invalid_signature" });
  });

  it("the switches replace a privilege006 given in the request", () => {
    const r = checkToken({ token: RIGHT_SLOTS_1970, appId: APP_ID, uid: "alice", certificates: certs(CERT), now: NOW, privilege006: "enforce" }, OBSERVED);
    expect(r.valid).toBe(true);
  });
});

describe("checkToken: 007 under the legacy order", () => {
  it("a 007 token for another uid that has expired reports token_expired (legacy) or uid_mismatch (spec)", () => {
    const token = craft007({ issueTs: ISSUE_TS - 7200, expire: 3600, services: [rtmService("bob", [[1, 3600]])] });
    expect(check(token, DOCUMENTED)).toBe("uid_mismatch");
    expect(check(token, OBSERVED)).toBe("token_expired");
  });

  it("a valid 007 token is valid under both", () => {
    const token = craft007({ issueTs: ISSUE_TS, expire: 3600, services: [rtmService("alice", [[1, 3600]])] });
    expect([check(token, DOCUMENTED), check(token, OBSERVED)]).toEqual(["ok", "ok"]);
  });
});
