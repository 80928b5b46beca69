/**
 * Admin auth as a middleware, without a server: the dev-mode loopback rule for peers a local
 * test cannot produce, the misuse TypeError, and the dev-mode warning.
 */
import { Writable } from "node:stream";
import type { NextFunction, Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { adminAuthMode, createAdminAuth, warnIfAdminOpen } from "../../../../gateway/admin/admin-auth.js";
import { AdminError } from "../../../../gateway/admin/errors.js";
import { createLogger } from "../../../../gateway/logger.js";

const silent = createLogger("silent");

function run(handler: ReturnType<typeof createAdminAuth>, remoteAddress: string | undefined): Promise<unknown> {
  return new Promise((resolve) => {
    const req = { socket: { remoteAddress }, headers: {} } as unknown as Request;
    handler(req, {} as Response, ((err?: unknown) => resolve(err ?? "next")) as NextFunction);
  });
}

describe("admin auth, dev mode (no secret, no JWKS)", () => {
  const auth = createAdminAuth({ adminJwtSecret: undefined, adminJwksUrl: undefined }, silent);

  it.each(["127.0.0.1", "::1", "::ffff:127.0.0.1"])("loopback peer %s is served", async (peer) => {
    expect(await run(auth, peer)).toBe("next");
  });

  it.each(["10.0.0.7", "192.168.1.2", "::ffff:10.0.0.7", "fe80::1", "127.0.0.2", "0.0.0.0", "", undefined])("peer %j gets 403 forbidden", async (peer) => {
    const err = await run(auth, peer);
    expect(err).toBeInstanceOf(AdminError);
    expect({ status: (err as AdminError).status, code: (err as AdminError).code }).toEqual({ status: 403, code: "forbidden" });
  });
});

describe("admin auth: configuration", () => {
  it("both a secret and a JWKS URL is a TypeError", () => {
    const both = { adminJwtSecret: "k".repeat(32), adminJwksUrl: "https://auth.example/jwks.json" };
    expect(() => createAdminAuth(both, silent)).toThrow(TypeError);
    expect(() => createAdminAuth(both, silent)).toThrow("set either ADMIN_JWT_SECRET or ADMIN_JWKS_URL, not both");
  });

  it("modes", () => {
    expect(adminAuthMode({ adminJwtSecret: undefined, adminJwksUrl: undefined })).toBe("loopback_only");
    expect(adminAuthMode({ adminJwtSecret: "k".repeat(32), adminJwksUrl: undefined })).toBe("jwt_secret");
    expect(adminAuthMode({ adminJwtSecret: undefined, adminJwksUrl: "https://auth.example/jwks.json" })).toBe("jwks");
  });

  it("warns loudly in dev mode only, and never logs the secret", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger("trace", sink);
    const secret = "super-secret-admin-key-0123456789abcdef";
    warnIfAdminOpen({ adminJwtSecret: secret, adminJwksUrl: undefined }, logger);
    expect(lines).toEqual([]);
    warnIfAdminOpen({ adminJwtSecret: undefined, adminJwksUrl: undefined }, logger);
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? "{}") as { level: number; msg: string };
    expect(entry.level).toBe(40);
    expect(entry.msg).toMatch(/^ADMIN API UNAUTHENTICATED \(dev mode\)/);
    expect(lines.join("")).not.toContain(secret);
  });
});
