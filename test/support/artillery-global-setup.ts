/**
 * vitest globalSetup: with CI=true (the whole suite runs), start installing the pinned Artillery
 * (test/support/artillery.ts: about 970 packages, a minute or two) in the background at once, so
 * it overlaps the parallel files instead of holding a worker. test/load/artillery-run.test.ts runs
 * in the "serial" group, after them, and waits for the same install through its lock: by then it
 * is usually done. Any failure is left for that test to meet and report. Outside CI nothing is
 * started here (a run of one unrelated file must not install 590 MB).
 */
import { artilleryRunner } from "./artillery.js";

export default function setup(): void {
  if (process.env.CI !== "true") return;
  void artilleryRunner().catch(() => undefined);
}
