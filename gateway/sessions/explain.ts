/**
 * Explain: the decision a login would get now, without logging in (`POST /admin/explain`;
 * docs/protocol.md, "Admin API"). Runs the same ordered checks as a login on a fresh connection (no
 * session, empty rate window), so it agrees with the real login, and adds the decoded token
 * (no signature, no secrets), the certificate slot that matched, the first failed check, and the
 * diagnostic hints of docs/hints.md (computed after the decision, for accepts and refusals alike).
 */
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import type { Explanation } from "../../core/protocol/admin.js";
import type { Profile } from "../../core/protocol/wire.js";
import { MethodRateWindows } from "../../core/session/rate-window.js";
import { tokenHints, type HintFacts } from "../../core/diagnostics/index.js";
import { describeToken, parseToken, tokenIdentity } from "../../core/token/index.js";
import { decide, type AuthContext, type PolicySettings } from "../../policies/index.js";
import { errorCode } from "./session-manager.js";
import type { ShadowTargets } from "./shadow.js";

export type { Explanation };

export interface ExplainRequest {
  readonly appId: string;
  readonly uid: string;
  readonly token: string | null;
  readonly profile: Profile;
}

/** Explains the login `req` would get at `now`. */
export function explainLogin(
  req: ExplainRequest,
  deps: { store: CertificateStore; settings: PolicySettings; now: number; hintFacts?: HintFacts; shadows?: ShadowTargets },
): Explanation {
  const token = req.token === null || req.token === "" || (req.profile === "rtm2" && req.token === req.appId) ? null : req.token;
  const ctx: AuthContext = {
    op: "login",
    profile: req.profile,
    appId: req.appId,
    uid: req.uid,
    token,
    now: deps.now,
    monotonicMs: 0, // a fresh connection: its call windows are empty, so their clock cannot matter
    session: { loggedIn: false, rate: new MethodRateWindows({ login: 1, renewToken: 1, logout: 1 }), appId: null, uid: null },
    settings: deps.settings,
    lookupProject: (appId, now) => deps.store.auth(appId, now),
  };
  const refusal = decide(ctx);
  // The project's shadow target, if any, decides it again (docs/migration.md).
  const shadow = deps.shadows?.armed === true ? deps.shadows.decide(ctx, refusal) : null;
  const parsed = token === null ? null : parseToken(token, deps.settings.tokenLimits);
  const code = refusal === undefined ? null : errorCode(req.profile, "login", refusal.reason, false);
  // After the decision, never part of it (docs/hints.md): accepts get the hints of a suspicious token too.
  const hints = tokenHints(
    {
      token: req.token === "" ? null : req.token,
      parsed: parsed === null ? null : parsed.ok ? parsed.token : null,
      appId: req.appId,
      uid: req.uid,
      reason: refusal?.reason ?? "ok",
      now: deps.now,
      maxLifetimeSeconds: deps.settings.maxTokenLifetimeSeconds ?? 0,
    },
    deps.hintFacts,
  );
  return {
    decision: refusal === undefined ? "accept" : "refuse",
    reason: refusal?.reason ?? "ok",
    code: code?.code ?? null,
    name: code?.name ?? null,
    failedCheck: refusal === undefined ? null : (ctx.failedCheck ?? null),
    detail: refusal?.detail ?? null,
    mode: ctx.project?.mode ?? null,
    credential: token === null ? "appid" : "token",
    slot: ctx.slot ?? null,
    expiresAt: ctx.verified?.expiresAt ?? null,
    token: parsed?.ok ? describeToken(parsed.token) : null,
    tokenId: parsed?.ok ? tokenIdentity(parsed.token) : null,
    hints,
    shadow,
    cohort: ctx.cohort ?? null,
    now: deps.now,
  };
}
