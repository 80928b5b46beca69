/**
 * A rollout plan file (docs/rollouts.md, "The plan"), read and validated on the command line before
 * anything is sent: `rtm-auth migrate plan` and `rtm-auth migrate rehearse` both read plans here.
 */
import { readFileSync } from "node:fs";
import { ZodError } from "zod";
import type { RolloutPlan } from "../../core/rollout/rollout.js";
import { parseRolloutPlan } from "../migration/rollout-schema.js";

/** A plan file that cannot be used; the message names the file and, per problem, the JSON path. The commands exit 2 with it. */
export class PlanFileError extends Error {}

/** A zod path as a JSON path: `stages[0].cohort.percent`; `(plan)` for the plan itself. */
export function jsonPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(plan)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

/** Reads and validates a plan file; throws {@link PlanFileError} (missing file, not JSON, each schema problem on a line). */
export function readPlanFile(file: string): RolloutPlan {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PlanFileError(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PlanFileError(`${file}: not JSON (${(err as Error).message})`);
  }
  // A population file given where a plan goes: say so, rather than list its fields one by one.
  if (typeof json === "object" && json !== null && !Array.isArray(json) && "cohorts" in json && !("stages" in json)) {
    throw new PlanFileError(`${file}: is a population (it has cohorts), not a rollout plan, which has target and stages (docs/rollouts.md, "The plan")`);
  }
  try {
    return parseRolloutPlan(json);
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    throw new PlanFileError(err.issues.map((i) => `${file}: ${jsonPath(i.path)}: ${i.message}`).join("\n"));
  }
}
