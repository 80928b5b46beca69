/**
 * `POST /admin/projects`, `GET /admin/projects`, `GET /admin/projects/:appId`
 * (docs/agora-behaviour.md, "Certificates"). Creation runs the pure lifecycle step of core inside one atomic
 * store update; a refused step is a LifecycleError, which the error serialiser maps.
 */
import type { Router } from "express";
import { z } from "zod";
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import { createProject, LifecycleError, type NewCertificate } from "../../core/certificate/project-lifecycle.js";
import type { ProjectRecord } from "../../core/certificate/project.js";
import type { AdminDeps } from "./admin-deps.js";
import { projectView } from "./project-view.js";
import { idempotentAppId, writeOptions } from "./idempotency.js";
import { cryptoRandomHex } from "./random.js";

const CreateProject = z
  .object({
    mechanism: z.enum(["appid", "token"]),
    /** 32 hex characters; checked by the lifecycle step (400 invalid_app_id). Generated when absent. */
    appId: z.string().max(64).optional(),
  })
  .strict();

/** The stored project, or a 404 `project_not_found`. */
export function requireProject(store: CertificateStore, appId: string): ProjectRecord {
  const p = store.get(appId);
  if (p === undefined) throw new LifecycleError("project_not_found", "no such project");
  return p;
}

/** A new certificate from the CSPRNG, enabled now, active after `delaySeconds`. */
export function newCertificate(deps: AdminDeps, delaySeconds: number): NewCertificate {
  return { value: (deps.randomHex ?? cryptoRandomHex)(16), now: deps.clock.nowSeconds(), delaySeconds };
}

/** The store's result of an update that must leave a record. */
export function stored(p: ProjectRecord | undefined): ProjectRecord {
  if (p === undefined) throw new Error("the store returned no record after an update");
  return p;
}

export function projectRoutes(router: Router, deps: AdminDeps): void {
  const { store, clock } = deps;

  router.post("/projects", async (req, res) => {
    const body = CreateProject.parse(req.body);
    const write = writeOptions(req);
    const appId = body.appId ?? idempotentAppId(write) ?? (deps.randomHex ?? cryptoRandomHex)(16);
    // A project created as token-only is usable at once; the activation delay applies to
    // certificates enabled later (gateway/config.ts, certActivationDelaySeconds).
    const primary = body.mechanism === "token" ? newCertificate(deps, 0) : null;
    const p = stored(await store.update(appId, (current) => createProject(current, appId, body.mechanism, primary), write));
    res.status(201).json(projectView(p, clock.nowSeconds()));
  });

  router.get("/projects", (_req, res) => {
    const now = clock.nowSeconds();
    res.json({ projects: store.list().map((p) => projectView(p, now)) });
  });

  router.get("/projects/:appId", (req, res) => {
    res.json(projectView(requireProject(store, req.params.appId), clock.nowSeconds()));
  });
}
