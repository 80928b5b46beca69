import { describe, expect, it } from "vitest";
import type { FaultRuleSpec } from "../../../../core/fault/fault-rule.js";
import { FaultSet } from "../../../../core/fault/fault-set.js";
import { SeededRandom } from "../../../../core/fault/seeded-random.js";

const T = 1_718_000_000;
const FAIL = { type: "fail", reason: "fault_injected" } as const;
const APP = "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2";

function fired(set: FaultSet, n: number, op: "login" | "renewToken" = "login", uid = "u"): Array<string | null> {
  return Array.from({ length: n }, () => set.decide(op, APP, uid, T)?.id ?? null);
}

describe("SeededRandom (mulberry32)", () => {
  it("same seed, same sequence; another seed, another sequence; always in [0, 1)", () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // Roughly uniform.
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it("is pinned to the reference mulberry32: seed 1 starts 0.62707394, 0.00273572, 0.52744704", () => {
    const r = new SeededRandom(1);
    expect([r.next(), r.next(), r.next()].map((x) => x.toFixed(8))).toEqual(["0.62707394", "0.00273572", "0.52744704"]);
  });
});

describe("FaultSet", () => {
  it("an unconditioned rule fires on every matching occurrence; ids are f1, f2, …", () => {
    const s = new FaultSet();
    expect(s.add({ op: "login", action: FAIL }, T).id).toBe("f1");
    expect(fired(s, 3)).toEqual(["f1", "f1", "f1"]);
    expect(s.decide("renewToken", APP, "u", T)).toBeUndefined();
    expect(s.add({ op: ["renewToken", "logout"], action: { type: "drop" } }, T).id).toBe("f2");
    expect(s.decide("logout", APP, "u", T)).toEqual({ id: "f2", action: { type: "drop" } });
  });

  it("nth: the nth occurrence only (count defaults to 1), then the rule is gone", () => {
    const s = new FaultSet();
    const view = s.add({ op: "renewToken", nth: 2, action: FAIL }, T);
    expect(view).toMatchObject({ nth: 2, count: 1 });
    expect(fired(s, 4, "renewToken")).toEqual([null, "f1", null, null]);
    expect(s.size).toBe(0);
  });

  it("nth with count: from the nth on, count times", () => {
    const s = new FaultSet();
    s.add({ op: "login", nth: 3, count: 2, action: FAIL }, T);
    expect(fired(s, 6)).toEqual([null, null, "f1", "f1", null, null]);
  });

  it("count limits an unconditioned rule", () => {
    const s = new FaultSet();
    s.add({ op: "login", count: 2, action: FAIL }, T);
    expect(fired(s, 3)).toEqual(["f1", "f1", null]);
  });

  it("filters: App ID (case-insensitive) and uid pattern; connect never matches them", () => {
    const s = new FaultSet();
    s.add({ op: ["connect", "login"], appId: APP.toUpperCase(), uid: "bot-*", action: FAIL }, T);
    expect(s.decide("login", APP, "bot-1", T)?.id).toBe("f1");
    expect(s.decide("login", APP, "human", T)).toBeUndefined();
    expect(s.decide("login", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", "bot-1", T)).toBeUndefined();
    expect(s.decide("connect", null, null, T)).toBeUndefined();
    expect(s.list(T)[0]).toMatchObject({ seen: 1, fired: 1 });
  });

  it("ttl: on the simulated clock; gone at createdAt + ttl", () => {
    const s = new FaultSet();
    expect(s.add({ op: "login", ttlSeconds: 60, action: FAIL }, T)).toMatchObject({ createdAt: T, expiresAt: T + 60 });
    expect(s.decide("login", APP, "u", T + 59)?.id).toBe("f1");
    expect(s.decide("login", APP, "u", T + 60)).toBeUndefined();
    expect(s.list(T + 60)).toEqual([]);
  });

  it("probability with a seed: same seed and traffic → same decisions; about the given rate", () => {
    const run = (seed: number) => {
      const s = new FaultSet();
      s.add({ op: "login", probability: 0.1, seed, action: FAIL }, T);
      return fired(s, 1000);
    };
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    const hits = a.filter((x) => x !== null).length;
    expect(hits).toBeGreaterThan(60);
    expect(hits).toBeLessThan(140);
  });

  it("probability 0 never fires, 1 always; the default seed is the rule's sequence number", () => {
    const s = new FaultSet();
    expect(s.add({ op: "login", probability: 0, action: FAIL }, T).seed).toBe(1);
    expect(s.add({ op: "login", probability: 1, action: { type: "drop" } }, T).seed).toBe(2);
    expect(fired(s, 3)).toEqual(["f2", "f2", "f2"]);
  });

  it("the first firing rule in creation order decides; every matching rule still counts the occurrence", () => {
    const s = new FaultSet();
    s.add({ op: "login", count: 1, action: FAIL }, T);
    s.add({ op: "login", nth: 1, action: { type: "drop" } }, T);
    // 1st: f1 decides (f2 counted it too, but did not use its firing); 2nd: f2, from its nth on.
    expect(fired(s, 3)).toEqual(["f1", "f2", null]);
  });

  it("a probabilistic rule draws on every matching occurrence, even when an earlier rule decided", () => {
    const spec: FaultRuleSpec = { op: "login", probability: 0.5, seed: 3, action: FAIL };
    const alone = new FaultSet();
    alone.add({ op: "logout", action: FAIL }, T);
    alone.add(spec, T);
    const behind = new FaultSet();
    behind.add({ op: "login", count: 5, action: { type: "drop" } }, T);
    behind.add(spec, T);
    const a = fired(alone, 20);
    const b = fired(behind, 20);
    expect(b.slice(0, 5)).toEqual(["f1", "f1", "f1", "f1", "f1"]);
    expect(b.slice(5)).toEqual(a.slice(5));
  });

  it("remove, clear (ids go on), reset (ids restart), list in creation order", () => {
    const s = new FaultSet();
    s.add({ op: "login", action: FAIL }, T);
    s.add({ op: "logout", action: FAIL }, T);
    expect(s.list(T).map((r) => r.id)).toEqual(["f1", "f2"]);
    expect(s.remove("f1")).toBe(true);
    expect(s.remove("f1")).toBe(false);
    expect(s.list(T).map((r) => r.id)).toEqual(["f2"]);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.add({ op: "login", action: FAIL }, T).id).toBe("f3");
    s.reset();
    expect(s.size).toBe(0);
    expect(s.add({ op: "login", action: FAIL }, T).id).toBe("f1");
  });

  it("refuses nth with probability, and a bad uid pattern", () => {
    const s = new FaultSet();
    expect(() => s.add({ op: "login", nth: 1, probability: 0.5, action: FAIL }, T)).toThrow(new TypeError("nth and probability are exclusive"));
    expect(() => s.add({ op: "login", uid: "/(a+)+/", action: FAIL }, T)).toThrow(TypeError);
  });
});
