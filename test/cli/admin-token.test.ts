/**
 * `rtm-auth admin-token` (issue 14, item 6): the token it mints opens an admin API that requires
 * a JWT, with the claims the gateway checks (aud, iss when configured, iat, exp within the
 * lifetime bound), and nothing else does. Also the compose path README shows: the gateway started
 * with docker-compose.yml's own environment (the secret substituted as compose would) refuses an
 * anonymous admin call and accepts one with `$(npx rtm-auth admin-token)`. Spawned as a user runs
 * it, against gateways in this process.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configFromEnv } from "../../gateway/config.js";
import { startGateway, type Gateway } from "../../gateway/main.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const SECRET = "admin-token-test-secret-0123456789abcdef";

/** The process environment without any admin setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("ADMIN_JWT") || k === "ADMIN_JWKS_URL") delete env[k];
  return { ...env, ...extra };
}

function adminToken(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "admin-token", ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

async function projects(gw: Gateway, token?: string): Promise<{ status: number; body: { projects?: unknown[]; error?: { code: string } } }> {
  const res = await fetch(`${gw.httpUrl}/admin/projects`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { projects?: unknown[]; error?: { code: string } } };
}

beforeAll(() => {
  if (!existsSync(new URL("../../dist/gateway/cli/admin-token-command.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
});

describe("against a gateway with ADMIN_JWT_SECRET", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true, adminJwtSecret: SECRET } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("the minted token opens the admin API; no token, or one minted with another secret, gets 401", async () => {
    const run = await adminToken([], { ADMIN_JWT_SECRET: SECRET });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = run.stdout.trim();
    expect(await projects(gw, token)).toMatchObject({ status: 200, body: { projects: expect.any(Array) } });
    expect(await projects(gw)).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
    const other = (await adminToken([], { ADMIN_JWT_SECRET: `${SECRET}-other` })).stdout.trim();
    expect(await projects(gw, other)).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
  });

  it("its claims: HS256, aud rtm-auth-admin, no iss, sub, iat now, exp = iat + --ttl (default 1 h)", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = (await adminToken([], { ADMIN_JWT_SECRET: SECRET })).stdout.trim();
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT" });
    const claims = decodeJwt(token);
    expect(claims).toEqual({ sub: "rtm-auth-cli", aud: "rtm-auth-admin", iat: expect.any(Number), exp: (claims.iat ?? 0) + 3600 });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    const short = decodeJwt((await adminToken(["--ttl", "90s", "--subject", "ops"], { ADMIN_JWT_SECRET: SECRET })).stdout.trim());
    expect([short.sub, (short.exp ?? 0) - (short.iat ?? 0)]).toEqual(["ops", 90]);
  });

  it("--json: the token, its expiry and the claims it was made for; never the secret", async () => {
    const run = await adminToken(["--json", "--ttl", "2h"], { ADMIN_JWT_SECRET: SECRET });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { token: string; expiresAt: number; audience: string; issuer: string | null };
    expect(out).toEqual({ token: expect.any(String), expiresAt: decodeJwt(out.token).exp, audience: "rtm-auth-admin", issuer: null });
    expect(run.stdout).not.toContain(SECRET);
    expect((await projects(gw, out.token)).status).toBe(200);
  });
});

describe("against a gateway with ADMIN_JWT_ISSUER, ADMIN_JWT_AUDIENCE and a 10-minute lifetime bound", () => {
  let gw: Gateway;
  const env = { ADMIN_JWT_SECRET: SECRET, ADMIN_JWT_ISSUER: "https://idp.example", ADMIN_JWT_AUDIENCE: "ops-console", ADMIN_JWT_MAX_LIFETIME_SECONDS: "600" };
  beforeAll(async () => {
    gw = await startGateway({ config: { ...configFromEnv(env), port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: false } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("the same variables give the token the gateway's iss and aud: 200", async () => {
    const run = await adminToken(["--ttl", "10m"], env);
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    expect(decodeJwt(token)).toMatchObject({ iss: "https://idp.example", aud: "ops-console" });
    expect((await projects(gw, token)).status).toBe(200);
    // Without the issuer and audience settings, the token is the default one: refused here.
    const plain = (await adminToken(["--ttl", "10m"], { ADMIN_JWT_SECRET: SECRET })).stdout.trim();
    expect((await projects(gw, plain)).status).toBe(401);
  });

  it("a --ttl over ADMIN_JWT_MAX_LIFETIME_SECONDS is refused before a token the gateway would refuse is printed", async () => {
    const run = await adminToken(["--ttl", "11m"], env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("rtm-auth admin-token: --ttl 11m is 660 s, over ADMIN_JWT_MAX_LIFETIME_SECONDS (600 s): the gateway would refuse the token; see 'rtm-auth admin-token --help'\n");
  });
});

describe("usage errors, exit 2, nothing printed on stdout, the secret never echoed", () => {
  it.each<[string, string[], Record<string, string>, string]>([
    ["no ADMIN_JWT_SECRET", [], {}, "rtm-auth admin-token: ADMIN_JWT_SECRET is not set: export the gateway's secret (at least 32 characters) before running this; see 'rtm-auth admin-token --help'\n"],
    ["a secret the gateway would refuse", [], { ADMIN_JWT_SECRET: "short-secret" }, "rtm-auth admin-token: invalid gateway configuration: ADMIN_JWT_SECRET: must be at least 32 characters; see 'rtm-auth admin-token --help'\n"],
    ["a JWKS gateway", [], { ADMIN_JWKS_URL: "https://idp.example/jwks.json" }, "rtm-auth admin-token: ADMIN_JWT_SECRET is not set: export the gateway's secret (at least 32 characters) before running this (ADMIN_JWKS_URL is set: tokens for that gateway come from the JWKS's issuer, not from here); see 'rtm-auth admin-token --help'\n"],
    ["a bad --ttl", ["--ttl", "soon"], { ADMIN_JWT_SECRET: SECRET }, `rtm-auth admin-token: --ttl "soon" is not a lifetime (e.g. 90s, 30m, 1h, 1d, or seconds); see 'rtm-auth admin-token --help'\n`],
    ["an unknown option", ["--secret", SECRET], { ADMIN_JWT_SECRET: SECRET }, "rtm-auth admin-token: Unknown option '--secret'; see 'rtm-auth admin-token --help'\n"],
  ])("%s", async (_label, args, env, message) => {
    const run = await adminToken(args, env);
    expect([run.code, run.stdout, run.stderr]).toEqual([2, "", message]);
    expect(run.stderr).not.toContain("short-secret");
  });
});

describe("docker compose: the admin API from the host, as README shows", () => {
  const compose = parse(readFileSync(new URL("../../docker-compose.yml", import.meta.url), "utf8")) as { services: { gateway: { environment: Record<string, string> } } };

  /** Compose's interpolation of `${VAR}`, `${VAR:-default}` and `${VAR:?message}` (an unset VAR with `:?` is an error). */
  function interpolate(value: string, env: Record<string, string>): string {
    return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (op === "?") throw new Error(`compose refuses to start: ${arg ?? ""}`);
      return op === "-" ? (arg ?? "") : "";
    });
  }

  it("compose refuses to start without ADMIN_JWT_SECRET, saying how to set it", () => {
    expect(() => interpolate(compose.services.gateway.environment["ADMIN_JWT_SECRET"] ?? "", {})).toThrow(/set ADMIN_JWT_SECRET to at least 32 random characters \(openssl rand -hex 32\)/);
  });

  it("with it exported, the compose gateway is in JWT mode: an anonymous admin call gets 401, $(npx rtm-auth admin-token) opens it", async () => {
    const hostEnv = { ADMIN_JWT_SECRET: "0123456789abcdef".repeat(4) };
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(compose.services.gateway.environment)) env[k] = interpolate(String(v), hostEnv);
    // No Redis service and no container here: the store is in memory and the port a free one on
    // loopback; every other setting is the compose file's own.
    delete env["REDIS_URL"];
    const gw = await startGateway({ config: { ...configFromEnv(env), port: 0, host: "127.0.0.1", logLevel: "silent" } });
    try {
      expect(gw.config.adminJwtSecret).toBe(hostEnv.ADMIN_JWT_SECRET);
      expect(await projects(gw)).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
      const token = (await adminToken([], hostEnv)).stdout.trim();
      const listed = await projects(gw, token);
      expect(listed.status).toBe(200);
      expect(listed.body.projects).toHaveLength(3); // DEV_SEED=1 of the compose file
    } finally {
      await gw.close();
    }
  });
});
