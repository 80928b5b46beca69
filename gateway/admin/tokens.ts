/**
 * `POST /admin/tokens` (docs/protocol.md, "Admin API"): the token server of a test. Mints an RTM login
 * token with the project's primary (default) or secondary certificate, issued at the simulated
 * clock's now with a random salt. A pending certificate still signs: its tokens are refused
 * until it is active, which is what a test of the activation delay needs.
 */
import type { Router } from "express";
import { z } from "zod";
import { LifecycleError } from "../../core/certificate/project-lifecycle.js";
import { buildRtmToken, TOKEN_006_LIFETIME_SECONDS } from "../../core/token/index.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";
import { requireProject } from "./projects.js";
import { cryptoRandomSalt } from "./random.js";

const MintToken = z
  .object({
    appId: z.string().min(1).max(64),
    uid: z.string().min(1).max(1024),
    version: z.enum(["006", "007"]),
    /** 007: token and RTM privilege lifetime. 006: RTM privilege lifetime (0 = no limit); the token itself lives 24 h. */
    expireSeconds: z.number().int().min(0).max(0xffff_ffff),
    certificate: z.enum(["primary", "secondary"]).default("primary"),
  })
  .strict();

export function tokenRoutes(router: Router, deps: AdminDeps): void {
  router.post("/tokens", (req, res) => {
    const body = MintToken.parse(req.body);
    const p = requireProject(deps.store, body.appId);
    const cert = body.certificate === "primary" ? p.primary : p.secondary;
    if (cert === null) {
      throw body.certificate === "primary"
        ? new LifecycleError("primary_required", "the project has no primary certificate")
        : new LifecycleError("secondary_not_found", "the project has no secondary certificate");
    }
    const issueTs = deps.clock.nowSeconds();
    let token: string;
    try {
      token = buildRtmToken({
        version: body.version,
        appId: body.appId,
        certificate: cert.value,
        uid: body.uid,
        expireSeconds: body.expireSeconds,
        issueTs,
        salt: (deps.randomSalt ?? cryptoRandomSalt)(),
      });
    } catch (err) {
      // The builders' argument checks (e.g. an expiry past 2106) name the field, never the certificate.
      if (err instanceof TypeError || err instanceof RangeError) throw new AdminError(400, "invalid_request", err.message);
      throw err;
    }
    // The last valid second, as the gateway computes it (VerifiedToken.expiresAt), lifetime cap
    // included (MAX_TOKEN_LIFETIME_SECONDS, docs/token-lifetime.md).
    const stated =
      body.version === "007"
        ? issueTs + body.expireSeconds
        : body.expireSeconds === 0
          ? issueTs + TOKEN_006_LIFETIME_SECONDS
          : Math.min(issueTs + TOKEN_006_LIFETIME_SECONDS, issueTs + body.expireSeconds);
    const cap = deps.config.maxTokenLifetimeSeconds;
    const expiresAt = cap === 0 ? stated : Math.min(stated, issueTs + cap);
    res.json({ token, version: body.version, expiresAt });
  });
}
