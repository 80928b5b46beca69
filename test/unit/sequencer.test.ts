/**
 * The start order of test/support/sequencer.ts: the files it names exist and are parallel files
 * (a renamed or moved file would otherwise silently lose its place), and the ranks put the named
 * long files first, the Artillery run right after them, then the other files, unit tests last.
 */
import { existsSync } from "node:fs";
import { matchesGlob } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AFTER_FIRST, FIRST, startRank } from "../support/sequencer.js";
import { PACED, SERIAL } from "../../vitest.config.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** path.matchesGlob without its one-time ExperimentalWarning on Node 20 (noise in the run's output). */
function matches(file: string, pattern: string): boolean {
  const emit = process.emitWarning;
  process.emitWarning = (() => undefined) as typeof process.emitWarning;
  try {
    return matchesGlob(file, pattern);
  } finally {
    process.emitWarning = emit;
  }
}

describe("the suite's start order", () => {
  it("names files that exist, each once", () => {
    for (const f of [...FIRST, ...AFTER_FIRST]) expect(existsSync(`${ROOT}${f}`), f).toBe(true);
    expect(new Set([...FIRST, ...AFTER_FIRST]).size).toBe(FIRST.length + AFTER_FIRST.length);
  });

  it("the named files run with the parallel files, not in the paced or serial group", () => {
    // The matcher itself: the serial group's chaos pattern takes sigterm and leaves churn out.
    expect(SERIAL.some((p) => matches("test/chaos/sigterm.test.ts", p))).toBe(true);
    expect(SERIAL.some((p) => matches("test/chaos/churn.test.ts", p))).toBe(false);
    for (const f of [...FIRST, ...AFTER_FIRST]) {
      expect([...PACED, ...SERIAL].filter((p) => matches(f, p)), f).toEqual([]);
    }
  });

  it("ranks: the long files in their order, the Artillery run, the other files, then unit tests", () => {
    expect(FIRST.map(startRank)).toEqual(FIRST.map((_, i) => i));
    const artillery = startRank("test/load/artillery-run.test.ts");
    const other = startRank("test/integration/admin-api.test.ts");
    const unit = startRank("test/unit/core/token/build.test.ts");
    expect(artillery).toBeGreaterThan(startRank(FIRST.at(-1)!));
    expect(other).toBeGreaterThan(artillery);
    expect(unit).toBeGreaterThan(other);
  });
});
