/** The one error serialiser of the admin API: every kind of error to its status and code. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LifecycleError } from "../../../../core/certificate/project-lifecycle.js";
import { StoreUnavailable } from "../../../../core/errors.js";
import { AdminError, mapError } from "../../../../gateway/admin/errors.js";

describe("mapError", () => {
  it.each([
    ["AdminError", new AdminError(404, "session_not_found", "no such live session"), 404, "session_not_found"],
    ["LifecycleError 409", new LifecycleError("primary_not_deletable", "x"), 409, "primary_not_deletable"],
    ["LifecycleError 404", new LifecycleError("project_not_found", "x"), 404, "project_not_found"],
    ["LifecycleError 400", new LifecycleError("invalid_app_id", "x"), 400, "invalid_app_id"],
    ["StoreUnavailable", new StoreUnavailable("redis down"), 503, "store_unavailable"],
    ["body too large", Object.assign(new Error("request entity too large"), { type: "entity.too.large", status: 413 }), 413, "payload_too_large"],
    ["bad JSON", Object.assign(new Error("Unexpected token"), { type: "entity.parse.failed", status: 400 }), 400, "invalid_json"],
    ["unknown", new Error("boom 0123456789abcdef0123456789abcdef"), 500, "internal_error"],
    ["not an Error", "boom", 500, "internal_error"],
  ] as const)("%s", (_l, err, status, code) => {
    const m = mapError(err);
    expect({ status: m.status, code: m.body.error.code }).toEqual({ status, code });
  });

  it("an unknown error's detail never reaches the reply", () => {
    expect(mapError(new Error("boom 0123456789abcdef0123456789abcdef")).body).toEqual({ error: { code: "internal_error", message: "internal error" } });
  });

  it("a StoreUnavailable's private detail never reaches the reply", () => {
    expect(JSON.stringify(mapError(new StoreUnavailable("ECONNREFUSED 10.1.2.3:6379")).body)).not.toContain("ECONNREFUSED");
  });

  it("a zod error is 400 invalid_request naming the field, without echoing the value", () => {
    const r = z.object({ expireSeconds: z.number().int(), token: z.string() }).safeParse({ expireSeconds: "007secret", token: 5 });
    expect(r.success).toBe(false);
    const m = mapError(r.error);
    expect(m.status).toBe(400);
    expect(m.body.error.code).toBe("invalid_request");
    expect(m.body.error.field).toBe("expireSeconds");
    expect(m.body.error.message).toMatch(/^expireSeconds: .*; token: /);
    expect(m.body.error.message).not.toContain("007secret");
  });
});
