/**
 * `POST /admin/populate` (and `rtm-auth serve --populate FILE`): states a suite's world of projects
 * in one idempotent call (docs/protocol.md, "Admin API").
 *
 * Body: `{"projects": [{appId, mode: "appid"|"either"|"token", primary?, secondary?, noCertificate?, rollout?}]}`.
 * - `appid`: App ID only; no certificate may be given.
 * - `either`: "No certificate" kept and a primary certificate: tokens and App ID logins.
 * - `token`: a primary certificate, "No certificate" deleted: tokens only.
 * - `primary`: 32 hex characters, or absent for "keep the existing primary, else generate one"
 *   (CSPRNG). `secondary`: 32 hex characters, `true` for "keep the existing secondary, else
 *   generate one", or absent for none.
 * - `noCertificate`, if given, must agree with `mode` (as in the project view: true unless `token`).
 * - `rollout`: a staged rollout plan (docs/rollouts.md), started on the project after its
 *   certificates are stated, as `PUT /admin/projects/:appId/rollout` does. When the project's
 *   current rollout has the same plan, it is kept as it is (whatever its status: populate stays
 *   idempotent); another plan is refused with 409 `rollout_in_progress` while the current one runs
 *   or is paused (checked for every project before anything is written), and 409
 *   `rollouts_disabled` without a rollout controller. Errors name the path
 *   (`projects.2.rollout.stages.0.cohort.percent`).
 *
 * A project restated without `rollout` keeps its rollout, as it keeps its shadow target.
 *
 * Populated certificates are active since the epoch (`enabledAt = activeAt = 0`), so setting the
 * simulated clock anywhere keeps them usable. A project already in the stated shape is left
 * untouched (no write, no version bump); other projects of the store are left alone (use
 * `POST /admin/reset` first for a clean world). Reply: `{projects, created, updated, unchanged}`.
 */
import type { Router } from "express";
import { z } from "zod";
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import { AUTH_MODES, type CertificateRecord, type ProjectRecord } from "../../core/certificate/project.js";
import { RolloutError, type RolloutPlan } from "../../core/rollout/rollout.js";
import type { RolloutController } from "../migration/rollout-controller.js";
import { RolloutPlanBody } from "../migration/rollout-schema.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";
import { projectView, type ProjectView } from "./project-view.js";
import { cryptoRandomHex } from "./random.js";

/** Largest populate body (its own parser; every other admin call has 16 KiB). */
export const POPULATE_BODY_LIMIT_BYTES = 256 * 1024;
/** Most projects in one populate call. */
export const MAX_POPULATE_PROJECTS = 1000;

const Hex32 = z.string().regex(/^[0-9a-fA-F]{32}$/, "must be 32 hexadecimal characters");

const PopulateProject = z
  .object({
    appId: Hex32,
    mode: z.enum(AUTH_MODES),
    primary: Hex32.transform((v) => v.toLowerCase()).optional(),
    secondary: z.union([Hex32.transform((v) => v.toLowerCase()), z.literal(true)]).optional(),
    noCertificate: z.boolean().optional(),
    rollout: RolloutPlanBody.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.mode === "appid" && p.primary !== undefined) ctx.addIssue({ code: "custom", path: ["primary"], message: "an appid project has no certificate" });
    if (p.mode === "appid" && p.secondary !== undefined) ctx.addIssue({ code: "custom", path: ["secondary"], message: "an appid project has no certificate" });
    if (p.noCertificate !== undefined && p.noCertificate !== (p.mode !== "token")) {
      ctx.addIssue({ code: "custom", path: ["noCertificate"], message: `must be ${p.mode !== "token"} for mode ${p.mode}` });
    }
    if (typeof p.secondary === "string" && p.secondary === p.primary) ctx.addIssue({ code: "custom", path: ["secondary"], message: "must differ from the primary" });
  });

/** The body of `POST /admin/populate` (and of a `--populate` file). */
export const PopulateBody = z
  .object({ projects: z.array(PopulateProject).max(MAX_POPULATE_PROJECTS) })
  .strict()
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.projects.forEach((p, i) => {
      if (seen.has(p.appId)) ctx.addIssue({ code: "custom", path: ["projects", i, "appId"], message: "listed twice" });
      seen.add(p.appId);
    });
  });
export type PopulateInput = z.input<typeof PopulateBody>;
type PopulateProjectSpec = z.output<typeof PopulateProject>;

/** What populate did. */
export interface PopulateResult {
  readonly projects: readonly ProjectView[];
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
}

const cert = (value: string): CertificateRecord => ({ value, enabledAt: 0, activeAt: 0 });

/** The record `spec` states, given the current one (kept certificates are reused). */
function stated(spec: PopulateProjectSpec, current: ProjectRecord | undefined, randomHex: (bytes: number) => string): ProjectRecord {
  let primary: CertificateRecord | null = null;
  let secondary: CertificateRecord | null = null;
  if (spec.mode !== "appid") {
    primary = cert(spec.primary ?? current?.primary?.value ?? randomHex(16));
    if (spec.secondary === true) {
      const kept = current?.secondary?.value;
      secondary = cert(kept !== undefined && kept !== primary.value ? kept : randomHex(16));
    } else if (spec.secondary !== undefined) secondary = cert(spec.secondary);
  }
  return { appId: spec.appId, noCertificate: spec.mode !== "token", primary, secondary, enabled: true, version: current?.version ?? 0 };
}

const sameCert = (a: CertificateRecord | null, b: CertificateRecord | null): boolean =>
  a === b || (a !== null && b !== null && a.value === b.value && a.enabledAt === b.enabledAt && a.activeAt === b.activeAt);

function sameState(a: ProjectRecord, b: ProjectRecord): boolean {
  return a.noCertificate === b.noCertificate && a.enabled === b.enabled && sameCert(a.primary, b.primary) && sameCert(a.secondary, b.secondary);
}

/** A JSON text of `v` with object keys sorted: equal for equal plans, whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Whether `spec`'s rollout must be started: false without one, or when the project's rollout
 * has the same plan (kept as it is). Throws 409 `rollout_in_progress` when another plan runs or
 * is paused there.
 */
function rolloutToStart(store: CertificateStore, spec: PopulateProjectSpec, index: number): boolean {
  if (spec.rollout === undefined) return false;
  const current = store.get(spec.appId)?.rollout;
  if (current === undefined) return true;
  if (canonical(current.plan) === canonical(spec.rollout)) return false;
  const s = current.state;
  if (s.status === "running" || s.status === "paused") {
    throw new RolloutError("rollout_in_progress", `projects.${index}.rollout: project ${spec.appId} has another rollout ${s.status} at stage ${s.stage}; abort it before stating a new plan`);
  }
  return true;
}

/**
 * Applies a validated populate body to `store`, one atomic update per project, then starts the
 * stated rollouts through `rollouts` (required when a project states one: 409 `rollouts_disabled`).
 */
export async function populateProjects(
  store: CertificateStore,
  body: z.output<typeof PopulateBody>,
  options: { now: number; randomHex?: ((bytes: number) => string) | undefined; rollouts?: RolloutController | undefined },
): Promise<PopulateResult> {
  const randomHex = options.randomHex ?? cryptoRandomHex;
  const created: string[] = [];
  const updated: string[] = [];
  const unchanged: string[] = [];
  const views: ProjectView[] = [];
  // Every rollout is checked before anything is written: a refused one leaves the world as it was.
  const starts = body.projects.map((spec, i) => rolloutToStart(store, spec, i));
  if (starts.some(Boolean) && options.rollouts === undefined) throw new AdminError(409, "rollouts_disabled", "this gateway runs no staged rollouts");
  for (const [i, spec] of body.projects.entries()) {
    let outcome = "unchanged" as "created" | "updated" | "unchanged";
    let p = await store.update(spec.appId, (current) => {
      // The body states certificates and mode; the shadow target and rollout of the project are kept.
      const next = { ...stated(spec, current, randomHex), ...(current?.shadow === undefined ? {} : { shadow: current.shadow }), ...(current?.rollout === undefined ? {} : { rollout: current.rollout }) };
      if (current !== undefined && sameState(current, next)) {
        outcome = "unchanged";
        return current;
      }
      outcome = current === undefined ? "created" : "updated";
      return next;
    });
    if (starts[i] === true && options.rollouts !== undefined) {
      await options.rollouts.put(spec.appId, spec.rollout as RolloutPlan);
      if (outcome === "unchanged") outcome = "updated";
      p = store.get(spec.appId) ?? p;
    }
    (outcome === "created" ? created : outcome === "updated" ? updated : unchanged).push(spec.appId);
    if (p !== undefined) views.push(projectView(p, options.now));
  }
  return { projects: views, created, updated, unchanged };
}

export function populateRoutes(router: Router, deps: AdminDeps): void {
  router.post("/populate", async (req, res) => {
    const body = PopulateBody.parse(req.body);
    res.json(await populateProjects(deps.store, body, { now: deps.clock.nowSeconds(), randomHex: deps.randomHex, rollouts: deps.rollouts }));
  });
}
