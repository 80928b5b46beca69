import { uidProblem } from "../core/session/uid-rules.js";
import type { AuthPolicy } from "./auth-context.js";

/** The RTM user-id rules (docs/agora-behaviour.md, "User ids") → invalid_uid (1.x 3, 2.x -10006). */
export const uidValid: AuthPolicy = {
  name: "uid-valid",
  appliesTo: ["login"],
  check: (ctx) => {
    const problem = uidProblem(ctx.uid, ctx.profile === "rtm2", ctx.settings.uidQuirks);
    return problem === null ? undefined : { reason: "invalid_uid", detail: problem };
  },
};
