import { describe, expect, it } from "vitest";
import type { Decision } from "../../../../gateway/sessions/decision.js";
import { DecisionJournal } from "../../../../gateway/sessions/journal.js";

const base: Decision = {
  op: "login",
  result: "accepted",
  reason: "ok",
  profile: "rtm1",
  appId: "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2",
  uid: "u0",
  mode: "token",
  credential: "token",
  tokenVersion: "007",
  slot: "primary",
  sessionId: "abc-1",
  at: 1_718_000_000,
  latencyMs: 0.0123456,
  failedCheck: null,
  closeCode: null,
};

function journal(capacity: number): { j: DecisionJournal; wall: { now: number } } {
  const wall = { now: 1_000 };
  return { j: new DecisionJournal(capacity, () => wall.now), wall };
}

describe("DecisionJournal", () => {
  it("records decisions with seq, both times and the fault id; newest first", () => {
    const { j, wall } = journal(10);
    j.observer(base);
    wall.now = 2_000;
    j.observer({ ...base, op: "renewToken", uid: "u1", at: base.at + 5, faultId: "f3" });
    expect(j.query({ limit: 10 })).toEqual([
      { ...base, op: "renewToken", uid: "u1", at: base.at + 5, seq: 2, wallTime: 2_000, latencyMs: 0.012, faultId: "f3", tokenId: null },
      { ...base, seq: 1, wallTime: 1_000, latencyMs: 0.012, faultId: null, tokenId: null },
    ]);
    expect(j.lastSeq).toBe(2);
    expect(j.size).toBe(2);
  });

  it("is a ring: only the last `capacity` decisions are kept", () => {
    const { j } = journal(3);
    for (let i = 1; i <= 7; i++) j.observer({ ...base, uid: `u${i}` });
    expect(j.query({ limit: 100 }).map((e) => [e.seq, e.uid])).toEqual([
      [7, "u7"],
      [6, "u6"],
      [5, "u5"],
    ]);
    expect(j.size).toBe(3);
  });

  it("filters by every field, since and limit", () => {
    const { j } = journal(100);
    j.observer({ ...base, uid: "a" });
    j.observer({ ...base, uid: "b", result: "refused", reason: "token_expired" });
    j.observer({ ...base, uid: "a", op: "logout" });
    j.observer({ ...base, uid: "a", op: "session_end", result: "ended", reason: "banned", faultId: "f1" });
    const uids = (f: Parameters<DecisionJournal["query"]>[0]) => j.query(f).map((e) => e.seq);
    expect(uids({ uid: "a", limit: 100 })).toEqual([4, 3, 1]);
    expect(uids({ op: "logout", limit: 100 })).toEqual([3]);
    expect(uids({ result: "refused", limit: 100 })).toEqual([2]);
    expect(uids({ reason: "banned", limit: 100 })).toEqual([4]);
    expect(uids({ faultId: "f1", limit: 100 })).toEqual([4]);
    expect(uids({ appId: base.appId.toUpperCase(), limit: 100 })).toEqual([4, 3, 2, 1]);
    expect(uids({ appId: "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", limit: 100 })).toEqual([]);
    expect(uids({ since: 2, limit: 100 })).toEqual([4, 3]);
    expect(uids({ limit: 2 })).toEqual([4, 3]);
  });

  it("clear empties it and restarts seq at 1", () => {
    const { j } = journal(5);
    j.observer(base);
    j.clear();
    expect(j.query({ limit: 10 })).toEqual([]);
    expect(j.lastSeq).toBe(0);
    j.observer(base);
    expect(j.query({ limit: 10 }).map((e) => e.seq)).toEqual([1]);
  });

  it("refuses a capacity below 1 (a journal of size 0 is not built at all)", () => {
    expect(() => new DecisionJournal(0, () => 0)).toThrow(RangeError);
  });
});
