/**
 * The observed 006 rule (docs/fidelity.md, ACCEPT_006_RTC_AS_RTM; AgoraIO/RTM #128, #129): an RTC
 * token for channel = the login account with an empty uid slot logs in when the switch is on, and
 * nothing else does. Tokens are crafted from the spec (token-fixtures.ts), not by core's builder.
 */
import { describe, expect, it } from "vitest";
import { verifyToken } from "../../../../../core/token/index.js";
import { PRIVILEGE_JOIN_CHANNEL, rtcJoinPrivilege } from "../../../../../core/token/v006/rtc-join.js";
import { parse006 } from "../../../../../core/token/v006/parse.js";
import { APP_ID, CERT, certs, craft006, ISSUE_TS } from "../token-fixtures.js";

const NOW = ISSUE_TS + 60;
const TS = ISSUE_TS + 86_400;
/** What the console's RTC token builder writes for a publisher: join, publish audio, video, data. */
const RTC_PRIVILEGES = [
  [1, 0],
  [2, 0],
  [3, 0],
  [4, 0],
] as const;

const verify = (token: string, accept: boolean, uid = "alice", privilege006: "enforce" | "ignore" = "enforce") =>
  verifyToken({ token, appId: APP_ID, uid, certificates: certs(CERT), now: NOW, accept006RtcJoin: accept, privilege006 });

describe("006 RTC token as RTM login (accept006RtcJoin)", () => {
  it("channel = account, uid 0: refused not_rtm_token by the documented rule, accepted by the observed one", () => {
    const token = craft006({ channel: "alice", uid: "", ts: TS, privileges: RTC_PRIVILEGES });
    expect(verify(token, false)).toMatchObject({ valid: false, reason: "not_rtm_token" });
    expect(verify(token, true)).toMatchObject({ valid: true, slot: "primary", token: { version: "006", uid: "alice", tokenExpiresAt: TS, privilegeExpiresAt: null, expiresAt: TS } });
  });

  it("the join privilege's time stands in for the RTM privilege's, under PRIVILEGE_006", () => {
    const live = craft006({ channel: "alice", ts: TS, privileges: [[1, NOW + 600]] });
    expect(verify(live, true)).toMatchObject({ valid: true, token: { privilegeExpiresAt: NOW + 600, expiresAt: NOW + 600 } });
    const passed = craft006({ channel: "alice", ts: TS, privileges: [[1, NOW - 1]] });
    expect(verify(passed, true)).toMatchObject({ valid: false, reason: "privilege_expired" });
    expect(verify(passed, true, "alice", "ignore")).toMatchObject({ valid: true, token: { expiresAt: TS } });
  });

  it.each([
    ["channel and uid that join up to the account (al + ice)", { channel: "al", uid: "ice" }, "not_rtm_token"],
    ["the account as uid, empty channel", { channel: "", uid: "alice" }, "not_rtm_token"],
    ["another channel", { channel: "bob", uid: "" }, "invalid_signature"],
    ["the account's channel with a uid", { channel: "alice", uid: "7" }, "invalid_signature"],
  ] as const)("never accepted: %s → %s", (_what, slots, reason) => {
    const token = craft006({ ...slots, ts: TS, privileges: RTC_PRIVILEGES });
    expect(verify(token, true)).toMatchObject({ valid: false, reason });
    expect(verify(token, false)).toMatchObject({ valid: false, reason });
  });

  it("never accepted: no join privilege (publish rights only) → not_rtm_token", () => {
    const token = craft006({ channel: "alice", ts: TS, privileges: [[2, 0], [3, 0]] });
    expect(verify(token, true)).toMatchObject({ valid: false, reason: "not_rtm_token" });
  });

  it("an RTM token is unaffected: its privilege 1000 decides, not a join privilege beside it", () => {
    const token = craft006({ channel: "alice", ts: TS, privileges: [[1000, NOW - 1], [1, 0]] });
    expect(verify(token, true)).toMatchObject({ valid: false, reason: "privilege_expired" });
  });

  it("rtcJoinPrivilege reads the CRC fields: the channel's must be the uid's, the uid's must be an empty slot's", () => {
    const parsed = (channel: string, uid: string) => {
      const r = parse006(craft006({ channel, uid, ts: TS, privileges: [[PRIVILEGE_JOIN_CHANNEL, 5], [PRIVILEGE_JOIN_CHANNEL, 7]] }));
      if (!r.ok) throw new Error(r.detail);
      return r.token;
    };
    expect(rtcJoinPrivilege(parsed("alice", ""), "alice")).toBe(7); // the last entry of a key wins
    expect(rtcJoinPrivilege(parsed("alice", ""), "Alice")).toBeUndefined();
    expect(rtcJoinPrivilege(parsed("al", "ice"), "alice")).toBeUndefined();
    expect(rtcJoinPrivilege(parsed("", "alice"), "alice")).toBeUndefined();
  });
});
