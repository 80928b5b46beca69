import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PlanFileError, readPlanFile } from "../../../../gateway/cli/plan-file.js";

const dir = mkdtempSync(join(tmpdir(), "rtm-plan-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = (name: string): string => new URL(`../../../../docs/examples/${name}`, import.meta.url).pathname;

describe("readPlanFile", () => {
  it("reads the example plan", () => {
    expect(readPlanFile(example("rollout-token-only.json")).stages.length).toBeGreaterThan(0);
  });

  it("a population given as a plan is named as one, and where a plan is described", () => {
    const file = example("population-ready.json");
    expect(() => readPlanFile(file)).toThrow(PlanFileError);
    expect(() => readPlanFile(file)).toThrow(`${file}: is a population (it has cohorts), not a rollout plan, which has target and stages (docs/rollouts.md, "The plan")`);
  });

  it("a missing file, a file that is not JSON, a schema problem: each names the file", () => {
    expect(() => readPlanFile(join(dir, "none.json"))).toThrow(`${join(dir, "none.json")}: no such file`);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{");
    expect(() => readPlanFile(broken)).toThrow(new RegExp(`^${broken}: not JSON`));
    const odd = join(dir, "odd.json");
    writeFileSync(odd, JSON.stringify({ cohorts: [], stages: [] }));
    expect(() => readPlanFile(odd)).not.toThrow(/is a population/);
  });
});
