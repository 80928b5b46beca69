/**
 * `POST /admin/explain` (docs/protocol.md, "Admin API"): the decision and reason a login would get now,
 * with the decoded token (no signature, no secrets), through the same ordered checks as a login,
 * and the diagnostic hints (docs/hints.md) from the same facts the gateway's refusals use.
 */
import type { Router } from "express";
import { z } from "zod";
import { PROFILES } from "../../core/protocol/wire.js";
import { explainLogin } from "../sessions/explain.js";
import type { AdminDeps } from "./admin-deps.js";

const Explain = z
  .object({
    appId: z.string().max(256),
    uid: z.string().max(1024),
    /** null, "" or absent for an App ID login. */
    token: z.string().max(8192).nullable().default(null),
    profile: z.enum(PROFILES).default("rtm1"),
  })
  .strict();

export function explainRoutes(router: Router, deps: AdminDeps): void {
  router.post("/explain", (req, res) => {
    const body = Explain.parse(req.body);
    res.json(
      explainLogin(body, {
        store: deps.store,
        settings: deps.sessions.policySettings,
        now: deps.clock.nowSeconds(),
        hintFacts: deps.sessions.hintFacts,
        shadows: deps.sessions.shadows,
      }),
    );
  });
}
