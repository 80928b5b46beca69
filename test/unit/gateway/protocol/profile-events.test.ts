import { describe, expect, it } from "vitest";
import { RTM1_STATE, RTM2_STATE, type Profile } from "../../../../core/protocol/wire.js";
import {
  loggedOut,
  loginFailed,
  loginStarted,
  loginSucceeded,
  sessionEnded,
  type Transition,
  type VisibleState,
} from "../../../../gateway/protocol/profile-events.js";

const RTM1_STATES = Object.keys(RTM1_STATE) as VisibleState[];
const RTM2_STATES = Object.keys(RTM2_STATE) as VisibleState[];
const FAILURES = ["token_expired", "invalid_signature", "unknown_app_id"] as const;
const ENDS = ["remote_login", "banned", "session_token_expired"] as const;

/** Every (kind, profile, from, reason) the gateway can ask for, with a call that asks for it. */
function everyCall(): Array<{ key: string; call: () => Transition }> {
  const calls: Array<{ key: string; call: () => Transition }> = [];
  for (const profile of ["rtm1", "rtm2"] as Profile[]) {
    for (const from of profile === "rtm1" ? RTM1_STATES : RTM2_STATES) {
      calls.push({ key: `started ${profile} ${from}`, call: () => loginStarted(profile, from) });
      calls.push({ key: `succeeded ${profile} ${from}`, call: () => loginSucceeded(profile, from) });
      calls.push({ key: `out ${profile} ${from}`, call: () => loggedOut(profile, from) });
      for (const r of FAILURES) calls.push({ key: `failed ${profile} ${from} ${r}`, call: () => loginFailed(profile, from, r) });
      for (const r of ENDS) calls.push({ key: `ended ${profile} ${from} ${r}`, call: () => sessionEnded(profile, from, r) });
    }
  }
  return calls;
}

describe("profile events", () => {
  it("give the documented event for each profile (docs/protocol.md, \"State events\")", () => {
    expect(loginStarted("rtm1", "DISCONNECTED").event).toEqual({ event: "connectionStateChanged", state: "CONNECTING", reason: "LOGIN", stateCode: 2, reasonCode: 1 });
    expect(loginStarted("rtm2", "FAILED").event).toMatchObject({ event: "linkState", currentState: "CONNECTING", previousState: "FAILED", operation: "LOGIN", reason: "RELOGIN" });
    expect(loginStarted("rtm2", "IDLE").event).toMatchObject({ previousState: "IDLE", reason: "LOGIN" });
    expect(loginSucceeded("rtm2", "CONNECTING").event).toMatchObject({ currentState: "CONNECTED", previousState: "CONNECTING", reason: "LOGIN_SUCCESS" });
    expect(sessionEnded("rtm1", "CONNECTED", "remote_login").event).toMatchObject({ state: "ABORTED", reason: "REMOTE_LOGIN" });
    expect(sessionEnded("rtm1", "CONNECTED", "banned").event).toMatchObject({ state: "ABORTED", reason: "BANNED_BY_SERVER" });
  });

  it("serialise each event once, as its JSON", () => {
    for (const { call } of everyCall()) {
      const t = call();
      expect(t.json.toString("utf8")).toBe(JSON.stringify(t.event));
      expect(Object.isFrozen(t)).toBe(true);
    }
  });

  // Each kind remembers the transition it returned last; whatever came before, a call must get the
  // transition of its own arguments (previousState, reason), never the remembered one.
  it("return the transition of the arguments given, whatever was asked before", () => {
    const calls = everyCall();
    const first = new Map(calls.map(({ key, call }) => [key, call()]));
    // Repeated calls, forwards, backwards and interleaved with a stride, all find the same objects.
    const orders = [calls, [...calls].reverse(), calls.map((_, i) => calls[(i * 7) % calls.length] as (typeof calls)[number])];
    for (const order of orders) {
      for (const { key, call } of order) {
        expect(call(), key).toBe(first.get(key));
        expect(call(), key).toBe(first.get(key));
      }
    }
    // Neighbouring calls that differ in one argument only.
    expect(loginStarted("rtm2", "IDLE").event).toMatchObject({ previousState: "IDLE" });
    expect(loginStarted("rtm2", "FAILED").event).toMatchObject({ previousState: "FAILED", reason: "RELOGIN" });
    expect(loginStarted("rtm1", "FAILED" as VisibleState).event).toMatchObject({ event: "connectionStateChanged" });
    expect(loginFailed("rtm2", "CONNECTING", "token_expired").event).not.toEqual(loginFailed("rtm2", "CONNECTING", "invalid_signature").event);
    expect(sessionEnded("rtm2", "CONNECTED", "banned").event).not.toEqual(sessionEnded("rtm2", "CONNECTED", "remote_login").event);
    // Distinct arguments give distinct transitions: one object per (kind, profile, from, reason).
    expect(new Set(first.values()).size).toBe(calls.length);
  });
});
