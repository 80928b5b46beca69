import type { AuthPolicy } from "./auth-context.js";

/**
 * A live staged rollout (docs/rollouts.md) applies its target to the current stage's cohort: a
 * uid inside the cohort is decided against the project as the target makes it (for example token
 * only), every other uid against the project as it is. This check never refuses by itself; it
 * swaps the project view the later checks read and marks the decision with the stage, so the
 * rollout's guards count it and explain shows it.
 */
export const rolloutCohort: AuthPolicy = {
  name: "rollout-cohort",
  appliesTo: ["login", "renewToken"],
  check: (ctx) => {
    const r = ctx.project?.rollout;
    if (r === undefined || !r.contains(ctx.uid)) return undefined;
    ctx.cohort = r.mark;
    ctx.project = r.view;
    return undefined;
  },
};
