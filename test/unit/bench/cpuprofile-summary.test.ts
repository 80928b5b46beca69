import { expect, it } from "vitest";
import { busiestWindow, selfTimes, type Profile } from "../../../bench/cpuprofile-summary.js";

/**
 * A synthetic profile: node 2 is idle, node 3 a function of ours, node 4 GC. `pattern` gives one
 * sample per millisecond: "i" idle, "f" the function, "g" GC.
 */
function profile(pattern: string): Profile {
  const ids: Record<string, number> = { i: 2, f: 3, g: 4 };
  return {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 3, 4] },
      { id: 2, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
      { id: 3, callFrame: { functionName: "login", url: "file:///x/dist/gateway/sessions/session-manager.js", lineNumber: 9 } },
      { id: 4, callFrame: { functionName: "(garbage collector)", url: "", lineNumber: -1 } },
    ],
    startTime: 0,
    endTime: pattern.length * 1000,
    samples: [...pattern].map((c) => ids[c]!),
    timeDeltas: [...pattern].map(() => 1000),
  };
}

it("the busiest window is the busy stretch, the latest of equal ones, and self times count only inside it", () => {
  // 1 s idle, 0.5 s busy (a warm-up), 1 s busy (the measured run), 1 s idle, 0.2 s busy elsewhere.
  const p = profile("i".repeat(1000) + "f".repeat(500) + "fg".repeat(500) + "i".repeat(1000) + "f".repeat(200));
  const start = busiestWindow(p, 1_000_000);
  // Sample times are 1 ms apart from 1 ms; the busy stretch covers 1.001 s to 2.5 s. Windows ending
  // on the 100 ms grid at 2.1 s … 2.5 s are all full; the latest, [1.5 s, 2.5 s), wins.
  expect(start).toBe(1_500_000);
  const t = selfTimes(p, start, start + 1_000_000);
  expect(t.busyUs).toBe(1_000_000);
  expect(t.idleUs).toBe(0);
  // The sample at 1.5 s is the warm-up's last "f"; then 999 samples of "fg…", 499 of them GC.
  expect(t.byArea.get("GC")).toBe(499_000);
  expect(t.byArea.get("gateway/")).toBe(501_000);
  expect(t.byFnSelf.get("login  dist/gateway/sessions/session-manager.js:10")).toBe(501_000);
  // The whole profile, for comparison: every busy sample, the stray 0.2 s included.
  const all = selfTimes(p);
  expect(all.busyUs).toBe(1_700_000);
  expect(all.idleUs).toBe(2_000_000);
});

it("a profile shorter than the window starts it at 0", () => {
  expect(busiestWindow(profile("ffff"), 1_000_000)).toBe(0);
});
