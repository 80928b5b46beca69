/**
 * The OpenAPI document describes exactly the routes the admin router registers (and each one's
 * method), plus the error shape every route uses.
 */
import express, { type Router } from "express";
import { describe, expect, it } from "vitest";
import type { AdminDeps } from "../../../../gateway/admin/admin-deps.js";
import { OPENAPI_DOCUMENT } from "../../../../gateway/admin/openapi.js";
import { registerAdminRoutes } from "../../../../gateway/admin/router.js";

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean> };
}

/** Every (METHOD, /admin path in OpenAPI form) the router registers. */
function registeredRoutes(): string[] {
  const router: Router = express.Router();
  // The route files only close over their deps; nothing is called while registering.
  registerAdminRoutes(router, {} as AdminDeps);
  const out: string[] = [];
  for (const layer of router.stack as unknown as Layer[]) {
    if (layer.route === undefined) continue;
    const path = `/admin${layer.route.path.replace(/:([A-Za-z]+)/g, "{$1}")}`;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on) out.push(`${method.toUpperCase()} ${path}`);
  }
  return out.sort();
}

function documentedAdminRoutes(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
    if (!path.startsWith("/admin")) continue;
    for (const method of Object.keys(item)) out.push(`${method.toUpperCase()} ${path}`);
  }
  return out.sort();
}

describe("admin OpenAPI document", () => {
  it("is OpenAPI 3.1 with a bearer JWT security scheme", () => {
    expect(OPENAPI_DOCUMENT.openapi).toBe("3.1.0");
    expect(OPENAPI_DOCUMENT.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  });

  it("the router registers the routes of docs/protocol.md, \"Admin API\" (the list this test guards)", () => {
    expect(registeredRoutes()).toEqual(
      [
        "POST /admin/projects",
        "GET /admin/projects",
        "GET /admin/projects/{appId}",
        "POST /admin/projects/{appId}/certificates/primary",
        "POST /admin/projects/{appId}/certificates/secondary",
        "POST /admin/projects/{appId}/certificates/swap",
        "DELETE /admin/projects/{appId}/certificates/secondary",
        "DELETE /admin/projects/{appId}/certificates/primary",
        "DELETE /admin/projects/{appId}/no-certificate",
        "GET /admin/projects/{appId}/readiness",
        "GET /admin/projects/{appId}/shadow",
        "PUT /admin/projects/{appId}/shadow",
        "DELETE /admin/projects/{appId}/shadow",
        "GET /admin/projects/{appId}/rollout",
        "PUT /admin/projects/{appId}/rollout",
        "POST /admin/projects/{appId}/rollout/{action}",
        "POST /admin/tokens",
        "POST /admin/explain",
        "GET /admin/sessions",
        "DELETE /admin/sessions/{sessionId}",
        "GET /admin/clock",
        "PUT /admin/clock",
        "POST /admin/clock/advance",
        "POST /admin/reset",
        "POST /admin/populate",
        "POST /admin/faults",
        "GET /admin/faults",
        "DELETE /admin/faults",
        "DELETE /admin/faults/{id}",
        "GET /admin/journal",
        "GET /admin/decision-counts",
        "GET /admin/openapi.json",
      ].sort(),
    );
  });

  it("documents every registered route, and no admin route that is not registered", () => {
    const registered = registeredRoutes();
    expect(registered.length).toBeGreaterThan(0);
    expect(documentedAdminRoutes()).toEqual(registered);
  });

  it("every documented route has responses; every error response uses the one Error schema", () => {
    for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>)) {
        const statuses = Object.keys(op.responses);
        expect(statuses.length, `${method} ${path}`).toBeGreaterThan(0);
        if (!path.startsWith("/admin")) continue;
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(["401", "403", "500", "503"]));
        for (const [status, r] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect(r.content?.["application/json"]?.schema, `${method} ${path} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
        }
      }
    }
  });

  it("every admin route documents the cross-site 403 and the JSON-only 415 (docs/admin-api-security.md)", () => {
    type Responses = Record<string, { description: string }>;
    for (const [path, item] of Object.entries(OPENAPI_DOCUMENT.paths)) {
      if (!path.startsWith("/admin")) continue;
      for (const [method, op] of Object.entries(item as Record<string, { responses: Responses }>)) {
        expect(op.responses["403"]?.description, `${method} ${path}`).toContain("`cross_site_request`");
        expect(op.responses["415"]?.description, `${method} ${path}`).toContain("`unsupported_media_type`");
      }
    }
  });

  it("every $ref points at a defined schema", () => {
    const refs = JSON.stringify(OPENAPI_DOCUMENT).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    const defined = Object.keys(OPENAPI_DOCUMENT.components.schemas);
    for (const ref of new Set(refs)) expect(defined).toContain(ref.split("/").pop());
  });
});
