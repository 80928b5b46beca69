/**
 * The certificate lifecycle of a project, as Agora's console runs it ("Set up Authentication";
 * docs/agora-behaviour.md, "Certificates"). Pure functions from a record to the next
 * record, or a LifecycleError with a stable code and HTTP status. Certificate values and times
 * are inputs: core reads no clock and no random source.
 *
 * - create `appid`: App ID only ("No certificate" present, no certificate).
 * - create `token`: primary enabled, "No certificate" absent: token only.
 * - enable primary: once; "No certificate" stays, so the mode becomes `either`.
 * - enable secondary: needs a primary and no current secondary; a new value each time.
 * - swap: the secondary becomes the primary and the primary the secondary.
 * - delete secondary: its tokens stop verifying everywhere.
 * - delete primary: never (409).
 * - delete "No certificate": irreversible, needs an active primary; the mode becomes `token`.
 */
import type { CertificateRecord, ProjectRecord } from "./project.js";

/** Stable codes of lifecycle refusals (the admin API's `error.code`). */
export const LIFECYCLE_ERRORS = {
  project_exists: 409,
  project_not_found: 404,
  invalid_app_id: 400,
  primary_exists: 409,
  primary_required: 409,
  primary_not_active: 409,
  primary_not_deletable: 409,
  secondary_exists: 409,
  secondary_not_found: 404,
  no_certificate_deleted: 409,
} as const;
export type LifecycleErrorCode = keyof typeof LIFECYCLE_ERRORS;

/** A refused lifecycle step. */
export class LifecycleError extends Error {
  readonly code: LifecycleErrorCode;
  readonly status: number;

  constructor(code: LifecycleErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = LIFECYCLE_ERRORS[code];
  }

  override get name(): string {
    return "LifecycleError";
  }
}

/** A new certificate: `value` from a CSPRNG (32 lowercase hex), active after `delaySeconds`. */
export interface NewCertificate {
  readonly value: string;
  readonly now: number;
  readonly delaySeconds: number;
}

const HEX32_LOWER = /^[0-9a-f]{32}$/;
const HEX32 = /^[0-9a-fA-F]{32}$/;

function certificate(c: NewCertificate): CertificateRecord {
  if (!HEX32_LOWER.test(c.value)) throw new TypeError("a certificate is 32 lowercase hex characters");
  return { value: c.value, enabledAt: c.now, activeAt: c.now + c.delaySeconds };
}

function existing(p: ProjectRecord | undefined, appId: string): ProjectRecord {
  if (p === undefined) throw new LifecycleError("project_not_found", `no project ${appId}`);
  return p;
}

/** A new project with `mechanism` `appid` (App ID only) or `token` (primary enabled, token only). */
export function createProject(
  current: ProjectRecord | undefined,
  appId: string,
  mechanism: "appid" | "token",
  primary: NewCertificate | null,
): ProjectRecord {
  if (!HEX32.test(appId)) throw new LifecycleError("invalid_app_id", "an App ID is 32 hexadecimal characters");
  if (current !== undefined) throw new LifecycleError("project_exists", `project ${appId} exists`);
  if (mechanism === "token" && primary === null) throw new TypeError("a token project needs its primary certificate");
  return {
    appId,
    noCertificate: mechanism === "appid",
    primary: mechanism === "token" && primary !== null ? certificate(primary) : null,
    secondary: null,
    enabled: true,
    version: 0,
  };
}

/** Enables the primary certificate (first time only). "No certificate" stays: mode `either`. */
export function enablePrimary(current: ProjectRecord | undefined, appId: string, c: NewCertificate): ProjectRecord {
  const p = existing(current, appId);
  if (p.primary !== null) throw new LifecycleError("primary_exists", "the primary certificate is already enabled");
  return { ...p, primary: certificate(c) };
}

/** Enables a new secondary certificate. */
export function enableSecondary(current: ProjectRecord | undefined, appId: string, c: NewCertificate): ProjectRecord {
  const p = existing(current, appId);
  if (p.primary === null) throw new LifecycleError("primary_required", "enable the primary certificate first");
  if (p.secondary !== null) throw new LifecycleError("secondary_exists", "delete the current secondary certificate first");
  return { ...p, secondary: certificate(c) };
}

/** Swaps the primary and the secondary. */
export function swapCertificates(current: ProjectRecord | undefined, appId: string): ProjectRecord {
  const p = existing(current, appId);
  if (p.secondary === null) throw new LifecycleError("secondary_not_found", "there is no secondary certificate to swap in");
  return { ...p, primary: p.secondary, secondary: p.primary };
}

/** Deletes the secondary certificate: tokens it signed stop verifying. */
export function deleteSecondary(current: ProjectRecord | undefined, appId: string): ProjectRecord {
  const p = existing(current, appId);
  if (p.secondary === null) throw new LifecycleError("secondary_not_found", "there is no secondary certificate");
  return { ...p, secondary: null };
}

/** The primary certificate can never be deleted (swap, then delete the secondary). */
export function deletePrimary(current: ProjectRecord | undefined, appId: string): never {
  existing(current, appId);
  throw new LifecycleError("primary_not_deletable", "a primary certificate cannot be deleted; swap it to secondary first");
}

/** Deletes "No certificate": irreversible; needs an active primary. The mode becomes `token`. */
export function deleteNoCertificate(current: ProjectRecord | undefined, appId: string, now: number): ProjectRecord {
  const p = existing(current, appId);
  if (!p.noCertificate) throw new LifecycleError("no_certificate_deleted", '"No certificate" was already deleted; it cannot be restored');
  if (p.primary === null || p.primary.activeAt > now) {
    throw new LifecycleError("primary_not_active", '"No certificate" can only be deleted while a primary certificate is active');
  }
  return { ...p, noCertificate: false };
}
