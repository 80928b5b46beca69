import type { ShadowTarget } from "../protocol/admin.js";
import { compileCohort, type CohortMatcher } from "../rollout/cohort.js";
import { isLive, type RolloutRecord } from "../rollout/rollout.js";
import type { ActiveCertificate, CertificateSlot } from "./active-certificate.js";
import { targetView } from "./target-view.js";

/** A project's auth mode, derived from its certificate state exactly as Agora's console does (docs/agora-behaviour.md, "Auth modes"). */
export const AUTH_MODES = ["appid", "either", "token"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** One enabled certificate. Times are Unix seconds on the (simulated) clock. */
export interface CertificateRecord {
  /** 32 lowercase hex characters. A secret: never logged, never a metric label. */
  readonly value: string;
  readonly enabledAt: number;
  /** When it starts verifying tokens (`enabledAt` + the activation delay). Pending before. */
  readonly activeAt: number;
}

/**
 * The stored state of a project (App ID). `noCertificate` is the console's "No certificate"
 * entry: while it exists, App ID logins are allowed; deleting it is irreversible.
 */
export interface ProjectRecord {
  readonly appId: string;
  readonly noCertificate: boolean;
  readonly primary: CertificateRecord | null;
  readonly secondary: CertificateRecord | null;
  /** A disabled project answers `unknown_app_id` (docs/reasons.md). */
  readonly enabled: boolean;
  /** Incremented on every change; lets caches and stores order updates. */
  readonly version: number;
  /**
   * The project's shadow target (docs/migration.md): logins are decided again as if that step had
   * been taken. Absent when none. Kept in the record so every gateway sharing the store applies it.
   */
  readonly shadow?: ShadowTarget;
  /** The project's staged rollout (docs/rollouts.md), live or finished; absent when none was put. */
  readonly rollout?: RolloutRecord;
}

/** Which stage's cohort a decision's uid was in: carried by decisions, counted by the rollout's guards. */
export interface CohortMark {
  /** The rollout state's `stageRevision`: counts of one stage visit are kept apart from the next. */
  readonly revision: number;
  readonly stage: number;
  readonly stageName: string;
}

/** The applied stage of a live rollout, as a login sees it. */
export interface ActiveCohort {
  readonly mark: CohortMark;
  /** True when the uid is in the stage's cohort. */
  readonly contains: CohortMatcher;
  /** The project as the rollout's target makes it: what a uid of the cohort is decided against. */
  readonly view: ProjectAuth;
}

/** What a login needs to know about a project at one instant. */
export interface ProjectAuth {
  readonly appId: string;
  readonly mode: AuthMode;
  /** Active certificates, primary first: the list a verifier tries. */
  readonly certificates: readonly ActiveCertificate[];
  /** The applied stage of a live rollout, absent when none (policies/rollout-cohort.ts). */
  readonly rollout?: ActiveCohort;
}

/** True when the certificate exists and is active at `now`. */
export function isActive(cert: CertificateRecord | null, now: number): cert is CertificateRecord {
  return cert !== null && cert.activeAt <= now;
}

/**
 * The auth mode at `now`: App ID only while no certificate is active; token only once
 * "No certificate" is gone; either in between (the migration window).
 */
export function authMode(p: ProjectRecord, now: number): AuthMode {
  if (!p.noCertificate) return "token";
  return isActive(p.primary, now) || isActive(p.secondary, now) ? "either" : "appid";
}

/** The auth view of a project at `now`. */
export function projectAuth(p: ProjectRecord, now: number): ProjectAuth {
  const certificates: ActiveCertificate[] = [];
  const add = (slot: CertificateSlot, c: CertificateRecord | null): void => {
    if (isActive(c, now)) certificates.push({ slot, value: c.value });
  };
  add("primary", p.primary);
  add("secondary", p.secondary);
  const view: ProjectAuth = { appId: p.appId, mode: authMode(p, now), certificates };
  const r = p.rollout;
  if (r === undefined || !isLive(r.state) || r.state.stage < 0) return view;
  const stage = r.plan.stages[r.state.stage];
  if (stage === undefined) return view;
  const rollout: ActiveCohort = {
    mark: { revision: r.state.stageRevision, stage: r.state.stage, stageName: stage.name },
    contains: compileCohort(p.appId, stage.cohort),
    view: targetView(view, r.plan.target),
  };
  return { ...view, rollout };
}
