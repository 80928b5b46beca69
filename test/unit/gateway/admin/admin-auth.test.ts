/**
 * Admin auth as a middleware, without a server: the dev-mode loopback rule for peers a local
 * test cannot produce, the dev-mode Host rule (DNS rebinding), the JWT claim rules on a fixed
 * clock with the reason logged at debug (never the token), the misuse TypeError, and the dev-mode
 * warning.
 */
import { Writable } from "node:stream";
import type { NextFunction, Request, Response } from "express";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { ADMIN_AUDIENCE, adminAuthMode, createAdminAuth, isLoopbackHost, warnIfAdminOpen, type AdminJwtSettings } from "../../../../gateway/admin/admin-auth.js";
import { AdminError } from "../../../../gateway/admin/errors.js";
import { createLogger } from "../../../../gateway/logger.js";

const silent = createLogger("silent");

/** The claim settings at the config defaults. */
const DEFAULTS: AdminJwtSettings = {
  adminJwtMaxLifetimeSeconds: 86_400,
  adminJwtClockSkewSeconds: 30,
  adminJwtIssuer: undefined,
  adminJwtAudience: ADMIN_AUDIENCE,
};
const DEV = { adminJwtSecret: undefined, adminJwksUrl: undefined, ...DEFAULTS };

function run(handler: ReturnType<typeof createAdminAuth>, remoteAddress: string | undefined, headers: Record<string, string> = { host: "127.0.0.1:8080" }): Promise<unknown> {
  return new Promise((resolve) => {
    const req = { socket: { remoteAddress }, headers } as unknown as Request;
    handler(req, {} as Response, ((err?: unknown) => resolve(err ?? "next")) as NextFunction);
  });
}

const statusAndCode = (err: unknown) => {
  expect(err).toBeInstanceOf(AdminError);
  return { status: (err as AdminError).status, code: (err as AdminError).code };
};

/** Collects log lines at trace level. */
function capture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger("trace", sink), lines };
}

describe("admin auth, dev mode (no secret, no JWKS)", () => {
  const auth = createAdminAuth(DEV, silent);

  it.each(["127.0.0.1", "::1", "::ffff:127.0.0.1"])("loopback peer %s is served", async (peer) => {
    expect(await run(auth, peer)).toBe("next");
  });

  it.each(["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "console.localhost:9", "127.1.2.3", "[::1]:8080", "0x7f.1:8080"])(
    "Host %j (loopback) is served",
    async (host) => {
      expect(await run(auth, "127.0.0.1", { host })).toBe("next");
    },
  );

  // A DNS-rebound name resolves to 127.0.0.1, so the peer is loopback; only the Host gives it away.
  it.each(["attacker.example:8080", "attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io", "10.0.0.7:8080", "", "[::2]", "bad host"])(
    "Host %j from a loopback peer → 403 forbidden",
    async (host) => {
      const err = await run(auth, "127.0.0.1", { host });
      expect(statusAndCode(err)).toEqual({ status: 403, code: "forbidden" });
      expect((err as AdminError).message).toMatch(/Host header/);
    },
  );

  it("no Host header at all → 403 forbidden", async () => {
    expect(statusAndCode(await run(auth, "127.0.0.1", {}))).toEqual({ status: 403, code: "forbidden" });
  });

  it("isLoopbackHost", () => {
    expect(isLoopbackHost(undefined)).toBe(false);
    expect(isLoopbackHost("127.0.0.1:1")).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
  });

  it.each(["10.0.0.7", "192.168.1.2", "::ffff:10.0.0.7", "fe80::1", "127.0.0.2", "0.0.0.0", "", undefined])("peer %j gets 403 forbidden", async (peer) => {
    const err = await run(auth, peer);
    expect(statusAndCode(err)).toEqual({ status: 403, code: "forbidden" });
    expect((err as AdminError).message).toMatch(/loopback clients only/);
  });
});

describe("admin auth, JWT claim rules (HS256, a fixed clock)", () => {
  const SECRET = "unit-test-admin-secret-0123456789abcdef";
  const KEY = new TextEncoder().encode(SECRET);
  const NOW = 1_750_000_000;

  interface Claims {
    exp?: number;
    iat?: number;
    nbf?: number;
    iss?: string;
    aud?: string | string[];
  }
  const sign = (claims: Claims) => new SignJWT({ sub: "ops", ...claims }).setProtectedHeader({ alg: "HS256" }).sign(KEY);
  const good: Claims = { aud: ADMIN_AUDIENCE, iat: NOW, exp: NOW + 3600 };

  async function check_(claims: Claims, settings: Partial<AdminJwtSettings> = {}): Promise<{ result: unknown; lines: string[]; token: string }> {
    const { logger, lines } = capture();
    const auth = createAdminAuth({ adminJwtSecret: SECRET, adminJwksUrl: undefined, ...DEFAULTS, ...settings }, logger, () => NOW);
    const token = await sign(claims);
    const result = await run(auth, "10.0.0.7", { authorization: `Bearer ${token}` });
    return { result, lines, token };
  }

  it("a good token → next (no iat: exp - now within the bound)", async () => {
    expect((await check_(good)).result).toBe("next");
    expect((await check_({ aud: ADMIN_AUDIENCE, exp: NOW + 86_400 })).result).toBe("next");
  });

  // [label, claims, settings, the reason logged at debug, the check the 401 names]
  const refusals: Array<[string, Claims, Partial<AdminJwtSettings>, string, string]> = [
    ["no exp", { aud: ADMIN_AUDIENCE, iat: NOW }, {}, "ERR_JWT_CLAIM_VALIDATION_FAILED", "missing exp: every admin JWT must carry an exp (expiry time)"],
    ["lifetime exp - iat one second over the bound", { aud: ADMIN_AUDIENCE, iat: NOW - 10, exp: NOW - 10 + 86_401 }, {}, "lifetime_too_long", "lifetime: exp - iat (exp - now without iat) is over ADMIN_JWT_MAX_LIFETIME_SECONDS"],
    ["no iat and exp - now over the bound plus skew", { aud: ADMIN_AUDIENCE, exp: NOW + 86_400 + 31 }, {}, "lifetime_too_long", "lifetime: exp - iat (exp - now without iat) is over ADMIN_JWT_MAX_LIFETIME_SECONDS"],
    ["a 100-year token", { aud: ADMIN_AUDIENCE, iat: NOW, exp: NOW + 100 * 365 * 86_400 }, {}, "lifetime_too_long", "lifetime: exp - iat (exp - now without iat) is over ADMIN_JWT_MAX_LIFETIME_SECONDS"],
    ["a lower ADMIN_JWT_MAX_LIFETIME_SECONDS", good, { adminJwtMaxLifetimeSeconds: 600 }, "lifetime_too_long", "lifetime: exp - iat (exp - now without iat) is over ADMIN_JWT_MAX_LIFETIME_SECONDS"],
    ["iat 31 s in the future (skew 30)", { aud: ADMIN_AUDIENCE, iat: NOW + 31, exp: NOW + 600 }, {}, "iat_in_future", "iat in the future: the JWT's iat is more than ADMIN_JWT_CLOCK_SKEW_SECONDS ahead of this gateway's clock"],
    ["iat 1 s in the future with skew 0", { aud: ADMIN_AUDIENCE, iat: NOW + 1, exp: NOW + 600 }, { adminJwtClockSkewSeconds: 0 }, "iat_in_future", "iat in the future: the JWT's iat is more than ADMIN_JWT_CLOCK_SKEW_SECONDS ahead of this gateway's clock"],
    ["exp 31 s in the past (skew 30)", { aud: ADMIN_AUDIENCE, iat: NOW - 600, exp: NOW - 31 }, {}, "ERR_JWT_EXPIRED", "expired: the JWT's exp has passed"],
    ["nbf 31 s in the future (skew 30)", { ...good, nbf: NOW + 31 }, {}, "ERR_JWT_CLAIM_VALIDATION_FAILED", "not yet valid: the JWT's nbf is still in the future"],
    ["no issuer while ADMIN_JWT_ISSUER is set", good, { adminJwtIssuer: "https://idp.example" }, "ERR_JWT_CLAIM_VALIDATION_FAILED", "issuer: the JWT has no iss; it must be ADMIN_JWT_ISSUER"],
    ["a wrong issuer", { ...good, iss: "https://evil.example" }, { adminJwtIssuer: "https://idp.example" }, "ERR_JWT_CLAIM_VALIDATION_FAILED", "issuer: the JWT's iss is not ADMIN_JWT_ISSUER"],
    ["the default audience while ADMIN_JWT_AUDIENCE is custom", good, { adminJwtAudience: "ops-console" }, "ERR_JWT_CLAIM_VALIDATION_FAILED", "audience: the JWT's aud does not name ADMIN_JWT_AUDIENCE (default rtm-auth-admin)"],
    ["no audience", { iat: NOW, exp: NOW + 600 }, {}, "ERR_JWT_CLAIM_VALIDATION_FAILED", "audience: the JWT has no aud; it must name ADMIN_JWT_AUDIENCE (default rtm-auth-admin)"],
  ];
  it.each(refusals)("%s → 401 unauthorized naming the check; the reason at debug, never the token", async (_label, claims, settings, reason, check) => {
    const { result, lines, token } = await check_(claims, settings);
    expect(statusAndCode(result)).toEqual({ status: 401, code: "unauthorized" });
    expect((result as AdminError).message).toBe(`a valid bearer token is required: ${check}`);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: 20, code: reason, msg: "admin token refused" });
    expect(lines.join("")).not.toContain(token);
    expect(lines.join("")).not.toContain(SECRET);
    // Neither the token nor a configured value (issuer, audience) is repeated to the caller.
    expect((result as AdminError).message).not.toContain(token);
    for (const v of Object.values(settings)) if (typeof v === "string") expect((result as AdminError).message).not.toContain(v);
  });

  const accepted: Array<[string, Claims, Partial<AdminJwtSettings>]> = [
    ["lifetime exactly the bound", { aud: ADMIN_AUDIENCE, iat: NOW - 10, exp: NOW - 10 + 86_400 }, {}],
    ["iat 30 s in the future (within skew)", { aud: ADMIN_AUDIENCE, iat: NOW + 30, exp: NOW + 600 }, {}],
    ["exp 29 s in the past (within skew)", { aud: ADMIN_AUDIENCE, iat: NOW - 600, exp: NOW - 29 }, {}],
    ["nbf 30 s in the future (within skew)", { ...good, nbf: NOW + 30 }, {}],
    ["the right issuer", { ...good, iss: "https://idp.example" }, { adminJwtIssuer: "https://idp.example" }],
    ["any issuer while ADMIN_JWT_ISSUER is unset", { ...good, iss: "whoever" }, {}],
    ["a custom audience", { ...good, aud: "ops-console" }, { adminJwtAudience: "ops-console" }],
    ["an audience list that names it", { ...good, aud: ["other", ADMIN_AUDIENCE] }, {}],
  ];
  it.each(accepted)("%s → next", async (_label, claims, settings) => {
    expect((await check_(claims, settings)).result).toBe("next");
  });
});

describe("admin auth: configuration", () => {
  it("both a secret and a JWKS URL is a TypeError", () => {
    const both = { adminJwtSecret: "k".repeat(32), adminJwksUrl: "https://auth.example/jwks.json", ...DEFAULTS };
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
