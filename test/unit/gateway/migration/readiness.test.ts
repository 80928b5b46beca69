import { expect, it } from "vitest";
import { DistinctSketch } from "../../../../gateway/migration/distinct-sketch.js";
import { ReadinessTracker } from "../../../../gateway/migration/readiness.js";
import type { Decision } from "../../../../gateway/sessions/decision.js";

const APP = "5eed0000000000000000000000000002";

function login(uid: string, at: number, over: Partial<Decision> = {}): Decision {
  return {
    op: "login",
    result: "accepted",
    reason: "ok",
    profile: "rtm1",
    appId: APP,
    uid,
    mode: "either",
    credential: "appid",
    tokenVersion: null,
    slot: null,
    sessionId: null,
    at,
    latencyMs: 0,
    failedCheck: null,
    closeCode: null,
    faultId: null,
    ...over,
  } as Decision;
}

it("distinct uids are exact up to the cap, then estimated by the sketch (and say so)", () => {
  const t = new ReadinessTracker({ uidCap: 100 });
  for (let i = 0; i < 80; i++) t.observer(login(`u${i}`, 1_000));
  expect(t.report(APP, 1_000, 3600, []).distinctUids.appid).toEqual({ count: 80, exact: true });
  for (let i = 0; i < 2_000; i++) t.observer(login(`v${i}`, 1_010));
  const d = t.report(APP, 1_010, 3600, []).distinctUids.appid;
  expect(d.exact).toBe(false);
  expect(Math.abs(d.count - 2_080) / 2_080).toBeLessThan(0.2);
  // A window that starts after the last eviction is exact again.
  t.observer(login("late", 5_000));
  expect(t.report(APP, 5_000, 60, []).distinctUids.appid).toEqual({ count: 1, exact: true });
});

it("past the cap the least recently seen uids go, a 32nd of the cap at a time, and the newest of them bounds exactness", () => {
  const t = new ReadinessTracker({ uidCap: 64 }); // evicted 2 at a time
  for (let i = 0; i < 64; i++) t.observer(login(`u${i}`, 1_000 + i));
  t.observer(login("u0", 1_064)); // seen again: now the most recent, nothing evicted
  const uids = (now: number) => t.snapshot(APP, now, { appid: 0, token: 0, primary: 0, secondary: 0 })!.uids.appid;
  expect(uids(1_064).last.size).toBe(64);
  expect(uids(1_064).evictedNewest).toBe(-Infinity);
  t.observer(login("new", 1_065)); // 65 > 64: u1 and u2, the two least recently seen, go
  let set = uids(1_065);
  expect(set.last.size).toBe(63);
  expect([...set.last.keys()].slice(0, 2)).toEqual(["u3", "u4"]);
  expect(set.last.has("u0")).toBe(true);
  expect(set.evictedNewest).toBe(1_002);
  // Filling up again evicts the next two at the 65th uid, not before.
  t.observer(login("again", 1_066));
  expect(uids(1_066).last.size).toBe(64);
  t.observer(login("over", 1_067));
  set = uids(1_067);
  expect(set.last.size).toBe(63);
  expect(set.last.has("u3")).toBe(false);
  expect(set.last.has("u4")).toBe(false);
  expect(set.evictedNewest).toBe(1_004);
});

it("refusals without a project (unknown App IDs) are not tracked: random App IDs cannot grow it", () => {
  const t = new ReadinessTracker({ maxProjects: 2 });
  for (let i = 0; i < 1_000; i++) t.observer(login("x", 1, { appId: `${i}`.padStart(32, "0"), result: "refused", reason: "unknown_app_id", mode: null }));
  t.observer(login("x", 1, { result: "refused", reason: "token_required", mode: "token" }));
  expect(t.report(APP, 1, 3600, []).refused).toEqual({ token_required: 1 });
  expect(t.report("0".repeat(32), 1, 3600, []).refused).toEqual({});
});

it("at most maxProjects are tracked; the least recently active is dropped", () => {
  const t = new ReadinessTracker({ maxProjects: 2 });
  const a = "a".repeat(32);
  const b = "b".repeat(32);
  const c = "c".repeat(32);
  t.observer(login("u", 1, { appId: a }));
  t.observer(login("u", 1, { appId: b }));
  t.observer(login("u", 2, { appId: a })); // a is now the most recent
  t.observer(login("u", 3, { appId: c })); // drops b
  expect(t.report(a, 3, 3600, []).logins.appid).toBe(2);
  expect(t.report(b, 3, 3600, []).logins.appid).toBe(0);
  expect(t.report(c, 3, 3600, []).logins.appid).toBe(1);
});

it("buckets roll over on the simulated clock: old counts leave the window, even after the ring wraps", () => {
  const t = new ReadinessTracker({ windowSeconds: 600 }); // 60 buckets of 10 s
  t.observer(login("old", 1_000, { credential: "token", tokenVersion: "006", slot: "secondary" }));
  t.observer(login("new", 1_595, { credential: "token", tokenVersion: "007", slot: "primary" }));
  expect(t.report(APP, 1_599, 600, []).logins).toEqual({ appid: 0, token: 2, byVersion: { "006": 1, "007": 1 }, bySlot: { primary: 1, secondary: 1 } });
  expect(t.report(APP, 1_600 + 600, 600, []).logins.token).toBe(0);
  t.observer(login("wrapped", 1_000 + 600 * 3, { credential: "token", tokenVersion: "007", slot: "primary" })); // same ring slot as "old"
  expect(t.report(APP, 1_000 + 600 * 3, 600, []).logins.byVersion).toEqual({ "006": 0, "007": 1 });
});

it("the sketch: empty is 0, merging is a union, duplicates do not count", () => {
  const a = new DistinctSketch();
  expect(a.estimate()).toBe(0);
  for (let i = 0; i < 500; i++) a.add(`x${i}`);
  for (let i = 0; i < 500; i++) a.add(`x${i}`);
  const b = new DistinctSketch();
  for (let i = 250; i < 750; i++) b.add(`x${i}`);
  a.merge(b);
  expect(Math.abs(a.estimate() - 750) / 750).toBeLessThan(0.2);
});
