/**
 * Readiness figures of several gateways (docs/migration.md, "Several gateways"): a tracker's
 * snapshot goes through the JSON other gateways read (encode → decode) and merges into another
 * tracker's report: counts add up, distinct uids are exact while the union of the exact sets is
 * within the cap and come from the merged sketches beyond it, App-ID uids are one list newest
 * first, live sessions add up; failures say so and never lose this gateway's own figures.
 */
import { describe, expect, it } from "vitest";
import type { ShadowOutcome } from "../../../../core/protocol/admin.js";
import { DistinctSketch } from "../../../../gateway/migration/distinct-sketch.js";
import { decodeSnapshot, encodeSnapshot, noLive, type ReadinessSnapshot } from "../../../../gateway/migration/readiness-snapshot.js";
import { ReadinessTracker, type PeerFigures, type ReadinessPeers } from "../../../../gateway/migration/readiness.js";
import type { Decision } from "../../../../gateway/sessions/decision.js";

const APP = "5eed0000000000000000000000000003";
const NOW = 1_000_000;

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
const token = (uid: string, at: number, slot: "primary" | "secondary" = "primary", version: "006" | "007" = "007") =>
  login(uid, at, { credential: "token", tokenVersion: version, slot });

/** `t`'s snapshot as another gateway reads it from Redis (through the JSON). */
function shared(t: ReadinessTracker, live = noLive(), maxBytes = 1 << 20): ReadinessSnapshot {
  const s = t.snapshot(APP, NOW, live);
  if (s === null) throw new Error("no snapshot");
  const decoded = decodeSnapshot(encodeSnapshot(s, maxBytes, t.recentUids));
  if (!decoded.ok) throw new Error(decoded.why);
  return decoded.snapshot;
}
const peers = (...snapshots: ReadinessSnapshot[]): PeerFigures => ({ ok: true, snapshots, gateways: snapshots.length, warnings: [] });

describe("the sketch travels", () => {
  it("encodes to 256 characters and decodes to the same registers; merging decoded sketches is the union", () => {
    const a = new DistinctSketch();
    const b = new DistinctSketch();
    for (let i = 0; i < 3_000; i++) a.add(`a${i}`);
    for (let i = 1_500; i < 4_500; i++) b.add(`a${i}`);
    const text = a.encode();
    expect(text).toHaveLength(256);
    expect(text).toMatch(/^[A-Z]+$/); // ranks 0..25 only
    const back = DistinctSketch.decode(text);
    expect(back?.registers).toEqual(a.registers);
    back!.merge(DistinctSketch.decode(b.encode())!);
    expect(Math.abs(back!.estimate() - 4_500) / 4_500).toBeLessThan(0.2);
    expect(new DistinctSketch().isEmpty()).toBe(true);
    expect(a.isEmpty()).toBe(false);
  });

  it("refuses anything but 256 register digits of at most 25", () => {
    expect(DistinctSketch.decode("A".repeat(255))).toBeNull();
    expect(DistinctSketch.decode("A".repeat(257))).toBeNull();
    expect(DistinctSketch.decode(`${"A".repeat(255)}Z`)).not.toBeNull(); // 25
    expect(DistinctSketch.decode(`${"A".repeat(255)}a`)).toBeNull(); // 26: no 32-bit hash ranks that high
    expect(DistinctSketch.decode(`${"A".repeat(255)}*`)).toBeNull();
    expect(DistinctSketch.decode(`${"A".repeat(255)}é`)).toBeNull();
  });
});

describe("merging two gateways' figures", () => {
  it("adds counts, refusals, shadow refusals of the current target, live sessions; uids once; last use the latest", () => {
    const a = new ReadinessTracker();
    const b = new ReadinessTracker();
    const refusedShadow: ShadowOutcome = { target: "token_only", result: "refused", reason: "token_required" };
    a.observer(login("legacy-1", NOW - 100, { shadow: refusedShadow }));
    a.observer(login("both", NOW - 90, { shadow: refusedShadow }));
    a.observer(token("t-1", NOW - 80));
    a.observer(login("x", NOW - 70, { result: "refused", reason: "token_expired", mode: "token" }));
    b.observer(login("both", NOW - 50, { shadow: refusedShadow }));
    b.observer(login("legacy-2", NOW - 40, { shadow: { target: "delete_primary", result: "refused", reason: "invalid_signature" } }));
    b.observer(token("t-2", NOW - 30, "secondary", "006"));
    b.observer(token("t-1", NOW - 20));
    b.observer(login("y", NOW - 10, { result: "refused", reason: "token_expired", mode: "token" }));
    const bLive = { appid: 2, token: 1, primary: 0, secondary: 1 };

    const alone = a.report(APP, NOW, 3600, [], { target: "token_only" });
    expect(alone).toMatchObject({ scope: "local", gateways: 1, warning: null, logins: { appid: 2, token: 1 } });

    const r = a.report(APP, NOW, 3600, [], { target: "token_only" }, peers(shared(b, bLive)));
    expect(r).toMatchObject({ scope: "cluster", gateways: 2, warning: null });
    expect(r.logins).toEqual({ appid: 4, token: 3, byVersion: { "006": 1, "007": 2 }, bySlot: { primary: 2, secondary: 1 } });
    expect(r.refused).toEqual({ token_expired: 2 });
    // Only the current target's refusals: the delete_primary one on b is not mixed in.
    expect(r.shadow.refused).toEqual({ token_required: 3 });
    expect(r.distinctUids).toEqual({ appid: { count: 3, exact: true }, token: { count: 2, exact: true } });
    expect(r.appIdUids).toEqual([
      { uid: "legacy-2", lastLoginAt: NOW - 40 },
      { uid: "both", lastLoginAt: NOW - 50 },
      { uid: "legacy-1", lastLoginAt: NOW - 100 },
    ]);
    expect(r.lastUse).toEqual({ appid: NOW - 40, primary: NOW - 20, secondary: NOW - 30 });
    expect(r.liveSessions).toEqual(bLive); // a has none
    expect(r.verdicts.delete_no_certificate).toMatchObject({ wouldRefuse: 4, liveSessionsAffected: 2, reason: "token_required" });
    expect(r.verdicts.delete_secondary).toMatchObject({ wouldRefuse: 1, liveSessionsAffected: 1, reason: "invalid_signature" });
    // The window applies to the other gateway's buckets and uids too.
    // 30 s rounds out to the bucket holding now - 29, which starts at now - 40 (NOW is 40 s into its minute).
    const narrow = a.report(APP, NOW, 30, [], null, peers(shared(b, bLive)));
    expect(narrow.coveredSeconds).toBe(41);
    expect(narrow.logins).toMatchObject({ appid: 1, token: 2 });
    expect(narrow.appIdUids).toEqual([{ uid: "legacy-2", lastLoginAt: NOW - 40 }]);
    expect(narrow.distinctUids).toEqual({ appid: { count: 1, exact: true }, token: { count: 2, exact: true } });
  });

  it("a project only the other gateway knows still counts there; one that no gateway holds shares nothing", () => {
    const a = new ReadinessTracker();
    const b = new ReadinessTracker();
    b.observer(token("only-b", NOW - 5));
    const r = a.report(APP, NOW, 3600, [], null, peers(shared(b)));
    expect(r.logins.token).toBe(1);
    expect(r.distinctUids.token).toEqual({ count: 1, exact: true });
    expect(a.snapshot(APP, NOW, noLive())).toBeNull();
    // Live sessions alone (logged in before a reset, say) are shared too.
    expect(a.snapshot(APP, NOW, { appid: 1, token: 0, primary: 0, secondary: 0 })?.live.appid).toBe(1);
  });

  it("distinct uids: exact while the union is within the cap, from the merged sketches beyond it", () => {
    const a = new ReadinessTracker({ uidCap: 100 });
    const b = new ReadinessTracker({ uidCap: 100 });
    for (let i = 0; i < 60; i++) a.observer(login(`u${i}`, NOW - 10));
    for (let i = 30; i < 90; i++) b.observer(login(`u${i}`, NOW - 10));
    expect(a.report(APP, NOW, 3600, [], null, peers(shared(b))).distinctUids.appid).toEqual({ count: 90, exact: true });

    for (let i = 90; i < 140; i++) b.observer(login(`u${i}`, NOW - 5)); // b: 110 seen, 10 evicted
    const snap = shared(b);
    expect(snap.uids.appid.sketched).toBe(true); // an eviction inside the window: the sketches travel
    const d = a.report(APP, NOW, 3600, [], null, peers(snap)).distinctUids.appid;
    expect(d.exact).toBe(false);
    expect(Math.abs(d.count - 140) / 140).toBeLessThan(0.2);

    // Union over the cap without any eviction: a's exact uids make the same registers as a sketch.
    const c = new ReadinessTracker({ uidCap: 100 });
    const e = new ReadinessTracker({ uidCap: 100 });
    for (let i = 0; i < 100; i++) c.observer(token(`c${i}`, NOW - 1));
    for (let i = 0; i < 100; i++) e.observer(token(`e${i}`, NOW - 1));
    const de = shared(e);
    expect(de.uids.token.sketched).toBe(false);
    const union = c.report(APP, NOW, 3600, [], null, peers(de)).distinctUids.token;
    expect(union.exact).toBe(false);
    expect(Math.abs(union.count - 200) / 200).toBeLessThan(0.2);
  });

  it("over the byte limit the uid lists stay home (sketches instead, the newest App-ID uids kept); past that nothing is shared and the reader says why", () => {
    const b = new ReadinessTracker({ recentCap: 5 });
    for (let i = 0; i < 400; i++) b.observer(login(`a-long-uid-to-fill-the-snapshot-${i}`, NOW - 400 + i));
    for (let i = 0; i < 400; i++) b.observer(token(`t-long-uid-to-fill-the-snapshot-${i}`, NOW - 400 + i));
    const snapshot = b.snapshot(APP, NOW, noLive())!;
    const whole = encodeSnapshot(snapshot, 1 << 20, 5);
    const limit = Math.floor(Buffer.byteLength(whole) / 2);
    const reducedText = encodeSnapshot(snapshot, limit, 5);
    expect(Buffer.byteLength(reducedText)).toBeLessThanOrEqual(limit);
    const reduced = decodeSnapshot(reducedText);
    if (!reduced.ok) throw new Error(reduced.why);
    expect(reduced.snapshot.uids.appid).toMatchObject({ complete: false, sketched: true });
    expect(reduced.snapshot.uids.appid.last.size).toBe(5);
    expect(reduced.snapshot.uids.token.last.size).toBe(0);

    const a = new ReadinessTracker({ recentCap: 5 });
    const r = a.report(APP, NOW, 3600, [], null, peers(reduced.snapshot));
    expect(r.logins).toMatchObject({ appid: 400, token: 400 });
    expect(r.distinctUids.appid.exact).toBe(false);
    expect(Math.abs(r.distinctUids.appid.count - 400) / 400).toBeLessThan(0.2);
    expect(Math.abs(r.distinctUids.token.count - 400) / 400).toBeLessThan(0.2);
    expect(r.appIdUids.map((u) => u.uid)).toEqual([399, 398, 397, 396, 395].map((i) => `a-long-uid-to-fill-the-snapshot-${i}`));

    const tiny = decodeSnapshot(encodeSnapshot(snapshot, 200, 5));
    expect(tiny.ok).toBe(false);
    expect(!tiny.ok && tiny.why).toMatch(/^figures too large to share \(\d+ bytes\)$/);
  });

  it("Redis unreadable: this gateway's figures alone, scope local, and a warning; clusterReport goes through the peers", async () => {
    const a = new ReadinessTracker();
    a.observer(login("mine", NOW - 1));
    const down = a.report(APP, NOW, 3600, [], null, { ok: false, warning: "figures of this gateway only: Redis is down" });
    expect(down).toMatchObject({ scope: "local", gateways: 1, warning: "figures of this gateway only: Redis is down", logins: { appid: 1 } });

    const b = new ReadinessTracker();
    b.observer(login("theirs", NOW - 1));
    const asked: string[] = [];
    const fake: ReadinessPeers = {
      read: async (appId) => {
        asked.push(appId);
        return { ok: true, snapshots: [shared(b)], gateways: 2, warnings: ["1 gateway(s) have not shared their figures yet"] };
      },
    };
    expect((await a.clusterReport(APP, NOW, 3600, [])).scope).toBe("local"); // not sharing yet
    a.share(fake);
    const r = await a.clusterReport(APP, NOW, 3600, []);
    expect(asked).toEqual([APP]);
    expect(r).toMatchObject({ scope: "cluster", gateways: 3, warning: "1 gateway(s) have not shared their figures yet", logins: { appid: 2 } });
  });

  it("a snapshot with another bucket size is left out, with a warning", () => {
    const a = new ReadinessTracker();
    const b = new ReadinessTracker({ windowSeconds: 600 });
    b.observer(login("other", NOW - 1));
    const r = a.report(APP, NOW, 3600, [], null, peers(shared(b)));
    expect(r.logins.appid).toBe(0);
    expect(r.gateways).toBe(2);
    expect(r.warning).toMatch(/buckets of another size/);
  });
});

describe("the shared JSON", () => {
  it("keeps only what a window can still count: the last 60 buckets, the uids of the last window and a bucket", () => {
    const t = new ReadinessTracker({ windowSeconds: 600 }); // buckets of 10 s
    t.observer(login("old", NOW - 700));
    t.observer(login("new", NOW - 5));
    const s = t.snapshot(APP, NOW, noLive())!;
    expect(s.buckets.map((b) => b?.n)).toEqual([Math.floor((NOW - 5) / 10)]);
    expect([...s.uids.appid.last.keys()]).toEqual(["new"]);
    expect(s.uids.appid.sketched).toBe(false);
  });

  it("refuses what it did not write: not JSON, another format, negative or fractional counts, bad sketches, too many buckets", () => {
    const t = new ReadinessTracker();
    t.observer(token("u", NOW - 1));
    const good = JSON.parse(encodeSnapshot(t.snapshot(APP, NOW, noLive())!, 1 << 20, 100));
    expect(decodeSnapshot(JSON.stringify(good)).ok).toBe(true);
    const bad = (mutate: (v: any) => void) => {
      const v = structuredClone(good);
      mutate(v);
      const d = decodeSnapshot(JSON.stringify(v));
      return d.ok ? "accepted" : d.why;
    };
    expect(decodeSnapshot("{").ok).toBe(false);
    expect(bad((v) => (v.v = 2))).toBe("format 2 (this gateway reads 1)");
    expect(bad((v) => (v.buckets[0].token = -1))).toBe("bad bucket counts");
    expect(bad((v) => (v.buckets[0].token = 1.5))).toBe("bad bucket counts");
    expect(bad((v) => (v.buckets[0].refused = { x: "1" }))).toBe("bad bucket reasons");
    expect(bad((v) => (v.buckets[0].sketch = { token: "nope" }))).toBe("bad sketch");
    expect(bad((v) => (v.buckets = Array.from({ length: 61 }, () => v.buckets[0])))).toBe("bad buckets");
    expect(bad((v) => (v.uids.token.last = [["u"]]))).toBe("bad uids");
    expect(bad((v) => (v.live.appid = null))).toBe("bad live");
    expect(bad((v) => (v.bucketSeconds = 0))).toBe("bad bucketSeconds");
  });
});

describe("what changed, for the writer", () => {
  it("projects touched since the last call, dropped ones, and everything after clear()", () => {
    const t = new ReadinessTracker({ maxProjects: 2 });
    const a = "a".repeat(32);
    const b = "b".repeat(32);
    const c = "c".repeat(32);
    t.observer(login("u", NOW, { appId: a })); // not sharing: nothing remembered
    t.share({ read: async () => ({ ok: false, warning: "unused" }) });
    expect(t.takeChanges()).toEqual({ full: true, changed: [], dropped: [] });
    t.observer(login("u", NOW, { appId: b }));
    t.observer(login("u", NOW, { appId: b }));
    expect(t.takeChanges()).toEqual({ full: false, changed: [b], dropped: [] });
    t.observer(login("u", NOW, { appId: c })); // drops a, the least recently active
    expect(t.takeChanges()).toEqual({ full: false, changed: [c], dropped: [a] });
    expect(t.trackedAppIds()).toEqual([b, c]);
    expect(t.takeChanges()).toEqual({ full: false, changed: [], dropped: [] });
    t.clear();
    expect(t.takeChanges()).toEqual({ full: true, changed: [], dropped: [] });
  });
});
