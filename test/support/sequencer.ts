/**
 * The order in which `vitest run` starts the files of a group (vitest.config.ts, `sequence.sequencer`).
 *
 * vitest's own order puts the files that took longest in the last run first, but a clean clone
 * (CI) has no such record, and then the largest files go first: a 50 s file could start when the
 * other worker had nothing left, and the group ended with one worker busy and the other idle. Here,
 * within a group, files start in this order:
 *
 * 1. {@link FIRST}: the longest files of the parallel group (each 20 s or more in a whole-suite
 *    run), longest first, so that they overlap each other and the rest;
 * 2. {@link AFTER_FIRST}: test/load/artillery-run.test.ts, which waits for the Artillery install
 *    started when the run began (test/support/artillery-global-setup.ts, with CI=true). After the
 *    long files (about 200 s of the run here) it finds the install done instead of holding a
 *    worker while it waits; and its 24 s, mostly Artillery waiting on its own phase, overlap the
 *    other worker's files (started last of all, it left the machine idle for 20 s at the end);
 * 3. every other file that is not a unit test, then the unit tests (test/unit/: many files of well
 *    under a second, which fill the end of the group evenly), each part in vitest's own order.
 *
 * The groups themselves (sequence.groupOrder) and the projects keep vitest's order. A file missing
 * from these lists only changes when it starts, never whether it runs.
 */
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Started first, in this order: the longest files of the parallel group. */
export const FIRST: readonly string[] = [
  "test/chaos/frame-fuzz.test.ts",
  "test/cli/readme-blocks.test.ts",
  "test/integration/migration-rehearsal.test.ts",
  "test/chaos/churn.test.ts",
  "test/cli/migrate-cli.test.ts",
  "test/load/load-processes.test.ts",
  "test/cli/token-cli.test.ts",
  "test/cli/usage-errors.test.ts",
  "test/cli/serve-redis-errors.test.ts",
  "test/cli/pack-install.test.ts",
  "test/integration/migration-rehearsal-redis.test.ts",
  "test/load/load-population.test.ts",
  "test/compat/sdk-types.test.ts",
];

/** Started right after {@link FIRST}: waits for the Artillery install begun at the start of the run. */
export const AFTER_FIRST: readonly string[] = ["test/load/artillery-run.test.ts"];

/** Where `file` (relative to the root) starts within its group: lower first. */
export function startRank(file: string): number {
  const first = FIRST.indexOf(file);
  if (first >= 0) return first;
  if (AFTER_FIRST.includes(file)) return FIRST.length;
  return file.startsWith("test/unit/") ? FIRST.length + 2 : FIRST.length + 1;
}

export default class SuiteSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // vitest's order first (groups, projects, then its own file order), kept for equal ranks.
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const position = new Map(base.map((spec, i) => [spec, i]));
    const rank = (spec: TestSpecification): number => startRank(relative(root, spec.moduleId));
    return [...base].sort((a, b) => {
      const groupOrder = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
      if (groupOrder !== 0) return groupOrder;
      if (a.project.name !== b.project.name) return position.get(a)! - position.get(b)!;
      return rank(a) - rank(b) || position.get(a)! - position.get(b)!;
    });
  }
}
