/**
 * The admin API (docs/protocol.md, "Admin API") on real gateways (port 0, fetch, the client SDK): every
 * route's success and error statuses with their exact codes, the seed procedure of a project's
 * certificate lifecycle end to end, the activation delay, the one error serialiser (503/500),
 * admin JWT auth (HS256 and JWKS), dev mode, and no certificate or token in the logs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { Writable } from "node:stream";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient, type LoginResult } from "../../client/index.js";
import { MemoryCertificateStore } from "../../core/certificate/certificate-store-memory.js";
import type { CertificateStore, ProjectUpdate } from "../../core/certificate/certificate-store.js";
import { StoreUnavailable } from "../../core/errors.js";
import type { Profile } from "../../core/protocol/wire.js";
import { SimulatedClock } from "../../gateway/clock/simulated-clock.js";
import type { GatewayConfigInput } from "../../gateway/config.js";
import { createLogger } from "../../gateway/logger.js";
import { startGateway, type Gateway, type GatewayOptions } from "../../gateway/main.js";
import { adminApi, type AdminApi } from "../support/admin-api.js";
import { T0 } from "../support/gateway-harness.js";
import { expectRtmError, recordedClient } from "../support/recorder.js";

/** Collects every log line of a gateway (at trace level) to check that no secret is logged. */
class LogSink {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      this.lines.push(chunk.toString());
      cb();
    },
  });
  get text(): string {
    return this.lines.join("");
  }
}

interface Started {
  readonly gateway: Gateway;
  readonly api: AdminApi;
  readonly logs: LogSink;
}

async function start(config: GatewayConfigInput = {}, options: Partial<GatewayOptions> = {}, bearer?: string): Promise<Started> {
  const logs = new LogSink();
  const gateway = await startGateway({
    config: { port: 0, host: "127.0.0.1", devSeed: false, ...config },
    clock: new SimulatedClock({ frozenAtSeconds: T0 }),
    logger: createLogger("trace", logs.stream),
    ...options,
  });
  return { gateway, api: adminApi(gateway.httpUrl, bearer), logs };
}

/** One login through the client SDK; the socket is closed afterwards. */
async function login(gw: Gateway, appId: string, uid: string, token: string | null, profile: Profile = "rtm1"): Promise<LoginResult> {
  const client = createRtmClient({ url: gw.url, appId, profile });
  try {
    return await client.login({ uid, token });
  } finally {
    await client.close();
  }
}

/** A refused login through the client SDK, asserting the code and reason. */
async function refused(gw: Gateway, appId: string, uid: string, token: string | null, expected: { code: number; reason: string }): Promise<void> {
  const client = createRtmClient({ url: gw.url, appId, profile: "rtm1" });
  try {
    await expectRtmError(client.login({ uid, token }), expected);
  } finally {
    await client.close();
  }
}

const HEX32 = /^[0-9a-f]{32}$/;
const err = (code: string) => ({ error: { code, message: expect.any(String) } });

// ---------------------------------------------------------------------------------------------
// One dev-mode gateway for the route-by-route checks and the seed procedure.
// ---------------------------------------------------------------------------------------------

let dev: Started;
/** Every certificate and token the API handed out: none may appear in the logs. */
const secrets = new Set<string>();
const remember = (view: { certificates?: { primary: { value: string } | null; secondary: { value: string } | null } }) => {
  if (view.certificates?.primary) secrets.add(view.certificates.primary.value);
  if (view.certificates?.secondary) secrets.add(view.certificates.secondary.value);
  return view;
};

beforeAll(async () => {
  dev = await start();
});
afterAll(async () => {
  await dev.gateway.close();
});

describe("projects", () => {
  const APP = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";

  it("POST /admin/projects {mechanism: appid, appId} → 201, App ID only", async () => {
    const r = await dev.api.call("POST", "/admin/projects", { mechanism: "appid", appId: APP });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ appId: APP, mode: "appid", noCertificate: true, certificates: { primary: null, secondary: null }, shadow: null, rollout: null });
  });

  it("POST /admin/projects {mechanism: token} without appId → 201, a generated App ID, an active primary", async () => {
    const r = await dev.api.call("POST", "/admin/projects", { mechanism: "token" });
    expect(r.status).toBe(201);
    remember(r.body);
    expect(r.body.appId).toMatch(HEX32);
    expect(r.body).toMatchObject({ mode: "token", noCertificate: false, certificates: { secondary: null } });
    expect(r.body.certificates.primary).toEqual({ value: expect.stringMatching(HEX32), status: "active", enabledAt: T0, activeAt: T0 });
    const again = await dev.api.call("POST", "/admin/projects", { mechanism: "token" });
    remember(again.body);
    expect(again.body.appId).not.toBe(r.body.appId);
    expect(again.body.certificates.primary.value).not.toBe(r.body.certificates.primary.value);
  });

  it("GET /admin/projects lists them in App ID order; GET /admin/projects/:appId shows one", async () => {
    const list = await dev.api.call("GET", "/admin/projects");
    expect(list.status).toBe(200);
    const ids = (list.body.projects as { appId: string }[]).map((p) => p.appId);
    expect(ids).toContain(APP);
    expect(ids).toEqual([...ids].sort());
    const one = await dev.api.call("GET", `/admin/projects/${APP}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ appId: APP, mode: "appid", noCertificate: true, certificates: { primary: null, secondary: null }, shadow: null, rollout: null });
  });

  it.each([
    ["a duplicate App ID", { mechanism: "appid", appId: APP }, 409, "project_exists"],
    ["an App ID that is not 32 hex", { mechanism: "appid", appId: "xyz" }, 400, "invalid_app_id"],
    ["no mechanism", { appId: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b" }, 400, "invalid_request"],
    ["an unknown mechanism", { mechanism: "both" }, 400, "invalid_request"],
    ["an unknown field", { mechanism: "appid", extra: 1 }, 400, "invalid_request"],
    ["a body that is not an object", [1, 2], 400, "invalid_request"],
  ] as const)("POST /admin/projects with %s → %i %s", async (_l, body, status, code) => {
    const r = await dev.api.call("POST", "/admin/projects", body);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject(err(code));
  });

  it("invalid_request names the field", async () => {
    const r = await dev.api.call("POST", "/admin/projects", { appId: APP });
    expect(r.body.error.field).toBe("mechanism");
    expect(r.body.error.message).toMatch(/^mechanism: /);
  });

  it("no body at all → 400 invalid_request (field: body)", async () => {
    const r = await dev.api.call("POST", "/admin/projects");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "invalid_request", message: expect.stringMatching(/^body: /), field: "body" } });
  });

  it("invalid JSON → 400 invalid_json", async () => {
    const r = await dev.api.call("POST", "/admin/projects", '{"mechanism": ');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "invalid_json", message: "the request body is not valid JSON" } });
  });

  it("a body over 16 KiB → 413 payload_too_large", async () => {
    const r = await dev.api.call("POST", "/admin/projects", { mechanism: "appid", pad: "x".repeat(17 * 1024) });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ error: { code: "payload_too_large", message: "the request body is too large" } });
  });

  it("GET /admin/projects/:appId of an unknown project → 404 project_not_found", async () => {
    const r = await dev.api.call("GET", "/admin/projects/ffffffffffffffffffffffffffffffff");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject(err("project_not_found"));
  });
});

describe("certificate lifecycle: refusals", () => {
  const UNKNOWN = "1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c";
  const APP = "2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c";

  it.each([
    ["POST", "certificates/primary"],
    ["POST", "certificates/secondary"],
    ["POST", "certificates/swap"],
    ["DELETE", "certificates/secondary"],
    ["DELETE", "certificates/primary"],
    ["DELETE", "no-certificate"],
  ])("%s …/%s of an unknown project → 404 project_not_found", async (method, path) => {
    const r = await dev.api.call(method, `/admin/projects/${UNKNOWN}/${path}`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject(err("project_not_found"));
  });

  it("each step's conflicts, in order", async () => {
    const call = (method: string, path: string) => dev.api.call(method, `/admin/projects/${APP}/${path}`);
    expect((await dev.api.call("POST", "/admin/projects", { mechanism: "appid", appId: APP })).status).toBe(201);

    const steps: Array<[string, string, number, string | null]> = [
      ["POST", "certificates/secondary", 409, "primary_required"],
      ["DELETE", "no-certificate", 409, "primary_not_active"],
      ["POST", "certificates/swap", 404, "secondary_not_found"],
      ["DELETE", "certificates/secondary", 404, "secondary_not_found"],
      ["POST", "certificates/primary", 200, null],
      ["POST", "certificates/primary", 409, "primary_exists"],
      ["DELETE", "certificates/primary", 409, "primary_not_deletable"],
      ["POST", "certificates/secondary", 200, null],
      ["POST", "certificates/secondary", 409, "secondary_exists"],
      ["DELETE", "no-certificate", 200, null],
      ["DELETE", "no-certificate", 409, "no_certificate_deleted"],
      ["DELETE", "certificates/primary", 409, "primary_not_deletable"],
    ];
    for (const [method, path, status, code] of steps) {
      const r = await call(method, path);
      expect({ step: `${method} ${path}`, status: r.status }).toEqual({ step: `${method} ${path}`, status });
      if (code === null) remember(r.body);
      else expect(r.body).toEqual({ error: { code, message: expect.any(String) } });
    }
  });
});

describe("POST /admin/tokens", () => {
  const APP = "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c";
  const NO_PRIMARY = "4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c";
  beforeAll(async () => {
    remember((await dev.api.call("POST", "/admin/projects", { mechanism: "token", appId: APP })).body);
    await dev.api.call("POST", "/admin/projects", { mechanism: "appid", appId: NO_PRIMARY });
  });

  it("mints a 007 token issued at the simulated now → {token, version, expiresAt}", async () => {
    const r = await dev.api.call("POST", "/admin/tokens", { appId: APP, uid: "alice", version: "007", expireSeconds: 600 });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ token: expect.stringMatching(/^007/), version: "007", expiresAt: T0 + 600 });
    secrets.add(r.body.token);
    const login1 = await login(dev.gateway, APP, "alice", r.body.token);
    expect(login1).toMatchObject({ credential: "token", tokenVersion: "007", expiresAt: T0 + 600 });
  });

  it("mints a 006 token: privilege limit, token 24 h", async () => {
    const r = await dev.api.call("POST", "/admin/tokens", { appId: APP, uid: "alice", version: "006", expireSeconds: 600 });
    expect(r.body).toEqual({ token: expect.stringMatching(/^006/), version: "006", expiresAt: T0 + 600 });
    secrets.add(r.body.token);
    expect(await login(dev.gateway, APP, "alice", r.body.token)).toMatchObject({ tokenVersion: "006", expiresAt: T0 + 600 });
    const unlimited = await dev.api.call("POST", "/admin/tokens", { appId: APP, uid: "alice", version: "006", expireSeconds: 0 });
    expect(unlimited.body.expiresAt).toBe(T0 + 86_400);
  });

  it("two mints differ (random salt)", async () => {
    const body = { appId: APP, uid: "alice", version: "007", expireSeconds: 600 };
    const [a, b] = await Promise.all([dev.api.call("POST", "/admin/tokens", body), dev.api.call("POST", "/admin/tokens", body)]);
    expect(a?.body.token).not.toBe(b?.body.token);
  });

  it.each([
    ["an unknown project", { appId: "5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c", uid: "a", version: "007", expireSeconds: 60 }, 404, "project_not_found", null],
    ["a project without a primary", { appId: NO_PRIMARY, uid: "a", version: "007", expireSeconds: 60 }, 409, "primary_required", null],
    ["a missing secondary", { appId: APP, uid: "a", version: "007", expireSeconds: 60, certificate: "secondary" }, 404, "secondary_not_found", null],
    ["a bad version", { appId: APP, uid: "a", version: "008", expireSeconds: 60 }, 400, "invalid_request", "version"],
    ["a negative expireSeconds", { appId: APP, uid: "a", version: "007", expireSeconds: -1 }, 400, "invalid_request", "expireSeconds"],
    ["a fractional expireSeconds", { appId: APP, uid: "a", version: "007", expireSeconds: 1.5 }, 400, "invalid_request", "expireSeconds"],
    ["no uid", { appId: APP, version: "007", expireSeconds: 60 }, 400, "invalid_request", "uid"],
    ["an unknown certificate slot", { appId: APP, uid: "a", version: "007", expireSeconds: 60, certificate: "tertiary" }, 400, "invalid_request", "certificate"],
    ["a 006 expiry past 2106", { appId: APP, uid: "a", version: "006", expireSeconds: 0xffff_ffff }, 400, "invalid_request", null],
  ] as const)("%s → %i %s", async (_l, body, status, code, field) => {
    const r = await dev.api.call("POST", "/admin/tokens", body);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    if (field !== null) expect(r.body.error.field).toBe(field);
  });
});

describe("POST /admin/explain", () => {
  const APP = "6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c6c";
  let token = "";
  beforeAll(async () => {
    remember((await dev.api.call("POST", "/admin/projects", { mechanism: "token", appId: APP })).body);
    token = (await dev.api.call("POST", "/admin/tokens", { appId: APP, uid: "alice", version: "007", expireSeconds: 600 })).body.token;
    secrets.add(token);
  });

  it("a valid token → accept, ok, the slot, the decoded token", async () => {
    const r = await dev.api.call("POST", "/admin/explain", { appId: APP, uid: "alice", token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ decision: "accept", reason: "ok", code: null, mode: "token", credential: "token", slot: "primary", expiresAt: T0 + 600, now: T0 });
    expect(r.body.token).not.toBeNull();
  });

  it("no token on a token project → refuse, token_required, the profile's code", async () => {
    const rtm1 = await dev.api.call("POST", "/admin/explain", { appId: APP, uid: "alice", token: null });
    expect(rtm1.body).toMatchObject({ decision: "refuse", reason: "token_required", code: 5, credential: "appid" });
    const rtm2 = await dev.api.call("POST", "/admin/explain", { appId: APP, uid: "alice", profile: "rtm2" });
    expect(rtm2.body).toMatchObject({ decision: "refuse", reason: "token_required", code: -10005 });
  });

  it.each([
    ["no appId", { uid: "a", token: null }, "appId"],
    ["a bad profile", { appId: APP, uid: "a", token: null, profile: "rtm3" }, "profile"],
    ["a token that is not a string", { appId: APP, uid: "a", token: 7 }, "token"],
  ])("%s → 400 invalid_request", async (_l, body, field) => {
    const r = await dev.api.call("POST", "/admin/explain", body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_request", field });
  });
});

describe("sessions", () => {
  const APP = "7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c";
  beforeAll(async () => {
    await dev.api.call("POST", "/admin/projects", { mechanism: "appid", appId: APP });
  });

  it("GET /admin/sessions filters by appId and uid; DELETE kicks with 4502 → 204; again → 404", async () => {
    const alice = recordedClient(dev.gateway.url, APP, "rtm1");
    const bob = recordedClient(dev.gateway.url, APP, "rtm2");
    const a = await alice.client.login({ uid: "alice" });
    await bob.client.login({ uid: "bob" });

    const byApp = await dev.api.call("GET", `/admin/sessions?appId=${APP}`);
    expect(byApp.status).toBe(200);
    expect((byApp.body.sessions as { uid: string }[]).map((s) => s.uid).sort()).toEqual(["alice", "bob"]);
    const byUid = await dev.api.call("GET", `/admin/sessions?appId=${APP}&uid=alice`);
    expect(byUid.body.sessions).toEqual([
      { sessionId: a.sessionId, appId: APP, uid: "alice", profile: "rtm1", credential: "appid", tokenVersion: null, slot: null, expiresAt: null, loggedInAt: T0 },
    ]);

    const kick = await dev.api.call("DELETE", `/admin/sessions/${a.sessionId}`);
    expect(kick.status).toBe(204);
    expect(kick.text).toBe("");
    expect(await alice.closed()).toBe(4502);
    expect(alice.states()).toContain("ABORTED/BANNED_BY_SERVER");

    const after = await dev.api.call("GET", `/admin/sessions?appId=${APP}`);
    expect((after.body.sessions as { uid: string }[]).map((s) => s.uid)).toEqual(["bob"]);
    const again = await dev.api.call("DELETE", `/admin/sessions/${a.sessionId}`);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject(err("session_not_found"));
    await bob.client.close();
  });

  it("a repeated query parameter → 400 invalid_request", async () => {
    const r = await dev.api.call("GET", "/admin/sessions?uid=a&uid=b");
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_request", field: "uid" });
  });
});

describe("clock", () => {
  afterAll(async () => {
    await dev.api.call("PUT", "/admin/clock", { frozen: true, now: T0 });
  });

  it("GET → {now, frozen}", async () => {
    const r = await dev.api.call("GET", "/admin/clock");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ now: T0, frozen: true });
  });

  it("PUT {now} sets; POST advance moves; PUT {frozen: false} thaws; PUT {frozen: true, now} stops exactly there", async () => {
    expect((await dev.api.call("PUT", "/admin/clock", { now: T0 + 100 })).body).toEqual({ now: T0 + 100, frozen: true });
    expect((await dev.api.call("POST", "/admin/clock/advance", { seconds: 60 })).body).toEqual({ now: T0 + 160, frozen: true });
    expect((await dev.api.call("POST", "/admin/clock/advance", { seconds: -160 })).body).toEqual({ now: T0, frozen: true });
    const thawed = await dev.api.call("PUT", "/admin/clock", { frozen: false });
    expect(thawed.body.frozen).toBe(false);
    expect(Math.abs(thawed.body.now - T0)).toBeLessThanOrEqual(1);
    expect((await dev.api.call("PUT", "/admin/clock", { frozen: true, now: T0 + 5 })).body).toEqual({ now: T0 + 5, frozen: true });
    expect(dev.gateway.clock.nowSeconds()).toBe(T0 + 5);
  });

  it.each([
    ["PUT", "/admin/clock", { now: "soon" }, "now"],
    ["PUT", "/admin/clock", { frozen: "yes" }, "frozen"],
    ["PUT", "/admin/clock", { now: -1 }, "now"],
    ["PUT", "/admin/clock", { speed: 2 }, "body"],
    ["POST", "/admin/clock/advance", {}, "seconds"],
    ["POST", "/admin/clock/advance", { seconds: "60" }, "seconds"],
  ] as const)("%s %s %j → 400 invalid_request", async (method, path, body, field) => {
    const r = await dev.api.call(method, path, body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_request", field });
  });
});

describe("other routes", () => {
  it("GET /admin/openapi.json → 200, OpenAPI 3.1", async () => {
    const r = await dev.api.call("GET", "/admin/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    expect(Object.keys(r.body.paths)).toContain("/admin/projects/{appId}/no-certificate");
  });

  it("an unknown admin route → 404 not_found", async () => {
    const r = await dev.api.call("GET", "/admin/nope");
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: "not_found", message: "no such admin route" } });
  });

  it("/healthz → 200 ok; /readyz → 200 ready (memory store); /rtm over plain HTTP → 426; elsewhere → 404", async () => {
    expect(await dev.api.call("GET", "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await dev.api.call("GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
    expect(await dev.api.call("GET", "/rtm")).toMatchObject({ status: 426, body: err("upgrade_required") });
    expect(await dev.api.call("GET", "/elsewhere")).toMatchObject({ status: 404, body: err("not_found") });
  });
});

// ---------------------------------------------------------------------------------------------
// The seed procedure on one gateway, over the admin API and the client SDK.
// ---------------------------------------------------------------------------------------------

describe("seed procedure: App ID → either → token → rotation", () => {
  it("runs end to end", async () => {
    const { api, gateway } = dev;
    const mint = async (appId: string, uid: string, certificate?: "primary" | "secondary"): Promise<string> => {
      const r = await api.call("POST", "/admin/tokens", { appId, uid, version: "007", expireSeconds: 3600, ...(certificate === undefined ? {} : { certificate }) });
      expect(r.status).toBe(200);
      secrets.add(r.body.token);
      return r.body.token as string;
    };

    // 1. An App ID project.
    const created = await api.call("POST", "/admin/projects", { mechanism: "appid" });
    expect(created.status).toBe(201);
    const appId = created.body.appId as string;
    expect(created.body.mode).toBe("appid");

    // 2. Enable the primary: mode either; App ID and token logins both succeed.
    const primary = await api.call("POST", `/admin/projects/${appId}/certificates/primary`);
    expect(primary.status).toBe(200);
    remember(primary.body);
    expect(primary.body).toMatchObject({ mode: "either", noCertificate: true, certificates: { primary: { status: "active", enabledAt: T0, activeAt: T0 }, secondary: null } });
    expect(await login(gateway, appId, "alice", null)).toMatchObject({ credential: "appid", expiresAt: null });
    expect(await login(gateway, appId, "alice", await mint(appId, "alice"))).toMatchObject({ credential: "token", tokenVersion: "007", expiresAt: T0 + 3600 });

    // 3. Delete "No certificate": mode token; an App ID login is refused (code 5, token_required).
    const noCert = await api.call("DELETE", `/admin/projects/${appId}/no-certificate`);
    expect(noCert.status).toBe(200);
    expect(noCert.body).toMatchObject({ mode: "token", noCertificate: false });
    await refused(gateway, appId, "alice", null, { code: 5, reason: "token_required" });

    // 4. Enable a secondary; a token minted with it logs in.
    const tokenOnOldPrimary = await mint(appId, "alice", "primary");
    const secondary = await api.call("POST", `/admin/projects/${appId}/certificates/secondary`);
    expect(secondary.status).toBe(200);
    remember(secondary.body);
    const oldPrimary = secondary.body.certificates.primary.value as string;
    const newPrimary = secondary.body.certificates.secondary.value as string;
    expect(newPrimary).not.toBe(oldPrimary);
    const tokenOnSecondary = await mint(appId, "bob", "secondary");
    expect(await login(gateway, appId, "bob", tokenOnSecondary)).toMatchObject({ credential: "token" });

    // 5. Swap: the old primary is now the secondary; its tokens still verify.
    const swapped = await api.call("POST", `/admin/projects/${appId}/certificates/swap`);
    expect(swapped.status).toBe(200);
    expect(swapped.body.certificates.primary.value).toBe(newPrimary);
    expect(swapped.body.certificates.secondary.value).toBe(oldPrimary);
    expect(await login(gateway, appId, "alice", tokenOnOldPrimary)).toMatchObject({ credential: "token" });

    // 6. Delete the secondary (the old primary): its token, minted before, is refused.
    const deleted = await api.call("DELETE", `/admin/projects/${appId}/certificates/secondary`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.certificates).toMatchObject({ primary: { value: newPrimary }, secondary: null });
    await refused(gateway, appId, "alice", tokenOnOldPrimary, { code: 5, reason: "invalid_signature" });
    expect(await login(gateway, appId, "bob", tokenOnSecondary)).toMatchObject({ credential: "token" });

    // 7. The primary can never be deleted.
    const delPrimary = await api.call("DELETE", `/admin/projects/${appId}/certificates/primary`);
    expect(delPrimary.status).toBe(409);
    expect(delPrimary.body).toMatchObject(err("primary_not_deletable"));
    expect((await api.call("GET", `/admin/projects/${appId}`)).body.certificates.primary.value).toBe(newPrimary);
  });
});

describe("POST /admin/reset (last on the dev gateway)", () => {
  it("→ 204: no projects, the clock back to real time", async () => {
    const r = await dev.api.call("POST", "/admin/reset");
    expect(r.status).toBe(204);
    expect((await dev.api.call("GET", "/admin/projects")).body).toEqual({ projects: [] });
    const clock = (await dev.api.call("GET", "/admin/clock")).body as { now: number; frozen: boolean };
    expect(clock.frozen).toBe(false);
    expect(Math.abs(clock.now - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(2);
  });

  it("no certificate and no token handed out by the API ever reached the logs", () => {
    expect(secrets.size).toBeGreaterThan(10);
    expect(dev.logs.lines.length).toBeGreaterThan(0); // the dev-mode warning at least
    const text = dev.logs.text;
    for (const s of secrets) expect(text.includes(s), "a secret in the logs").toBe(false);
  });

  it("the dev-mode warning was logged at start", () => {
    expect(dev.logs.text).toContain("ADMIN API UNAUTHENTICATED (dev mode)");
  });
});

// ---------------------------------------------------------------------------------------------
// Activation delay.
// ---------------------------------------------------------------------------------------------

describe("activation delay (certActivationDelaySeconds: 3600)", () => {
  let g: Started;
  beforeAll(async () => {
    g = await start({ certActivationDelaySeconds: 3600 });
  });
  afterAll(async () => {
    await g.gateway.close();
  });

  it("a new primary is pending; a token signed with it is refused until the clock passes activeAt", async () => {
    const appId = "8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c";
    await g.api.call("POST", "/admin/projects", { mechanism: "appid", appId });
    const p = await g.api.call("POST", `/admin/projects/${appId}/certificates/primary`);
    expect(p.body).toMatchObject({ mode: "appid", certificates: { primary: { status: "pending", enabledAt: T0, activeAt: T0 + 3600 } } });
    const token = (await g.api.call("POST", "/admin/tokens", { appId, uid: "alice", version: "007", expireSeconds: 7200 })).body.token as string;
    // Still an App ID project while the primary is pending: the token is not accepted.
    await refused(g.gateway, appId, "alice", token, { code: 5, reason: "token_not_accepted" });
    // "No certificate" cannot go while the primary is pending.
    expect((await g.api.call("DELETE", `/admin/projects/${appId}/no-certificate`)).body).toMatchObject(err("primary_not_active"));

    expect((await g.api.call("POST", "/admin/clock/advance", { seconds: 3599 })).body.now).toBe(T0 + 3599);
    await refused(g.gateway, appId, "alice", token, { code: 5, reason: "token_not_accepted" });
    await g.api.call("POST", "/admin/clock/advance", { seconds: 1 });
    expect((await g.api.call("GET", `/admin/projects/${appId}`)).body).toMatchObject({ mode: "either", certificates: { primary: { status: "active" } } });
    expect(await login(g.gateway, appId, "alice", token)).toMatchObject({ credential: "token" });
  });

  it("a new secondary on a token project: its tokens fail the signature until active", async () => {
    const created = await g.api.call("POST", "/admin/projects", { mechanism: "token" });
    const appId = created.body.appId as string;
    expect(created.body.certificates.primary.status).toBe("active");
    const s = await g.api.call("POST", `/admin/projects/${appId}/certificates/secondary`);
    const now = g.gateway.clock.nowSeconds();
    expect(s.body.certificates.secondary).toMatchObject({ status: "pending", activeAt: now + 3600 });
    const token = (await g.api.call("POST", "/admin/tokens", { appId, uid: "bob", version: "007", expireSeconds: 7200, certificate: "secondary" })).body.token as string;
    await refused(g.gateway, appId, "bob", token, { code: 5, reason: "invalid_signature" });
    await g.api.call("POST", "/admin/clock/advance", { seconds: 3600 });
    expect(await login(g.gateway, appId, "bob", token)).toMatchObject({ credential: "token" });
  });
});

// ---------------------------------------------------------------------------------------------
// The error serialiser with a failing store; readiness.
// ---------------------------------------------------------------------------------------------

/** A memory store whose writes fail on demand. */
class FlakyStore implements CertificateStore {
  readonly inner = new MemoryCertificateStore();
  failure: "none" | "unavailable" | "boom" = "none";
  auth = this.inner.auth.bind(this.inner);
  get = this.inner.get.bind(this.inner);
  list = this.inner.list.bind(this.inner);
  onChange = this.inner.onChange.bind(this.inner);
  close = this.inner.close.bind(this.inner);
  async update(appId: string, fn: ProjectUpdate) {
    this.fail();
    return this.inner.update(appId, fn);
  }
  async clear() {
    this.fail();
    return this.inner.clear();
  }
  private fail(): void {
    if (this.failure === "unavailable") throw new StoreUnavailable("connection refused (test)");
    if (this.failure === "boom") throw new Error("unexpected failure (test)");
  }
}

describe("store failures and readiness", () => {
  let g: Started;
  const store = new FlakyStore();
  let ready = true;
  beforeAll(async () => {
    g = await start({}, { store, readiness: () => ready });
  });
  afterAll(async () => {
    await g.gateway.close();
  });

  it("StoreUnavailable → 503 store_unavailable, and nothing changed", async () => {
    store.failure = "unavailable";
    const r = await g.api.call("POST", "/admin/projects", { mechanism: "token", appId: "9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c" });
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ error: { code: "store_unavailable", message: "the certificate store is unavailable; nothing was changed" } });
    expect((await g.api.call("GET", "/admin/projects")).body).toEqual({ projects: [] });
  });

  it("reset with an unavailable store → 503, and the clock is left alone", async () => {
    store.failure = "unavailable";
    const r = await g.api.call("POST", "/admin/reset");
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe("store_unavailable");
    expect((await g.api.call("GET", "/admin/clock")).body).toEqual({ now: T0, frozen: true });
  });

  it("an unexpected error → 500 internal_error with a generic message; the detail is logged", async () => {
    store.failure = "boom";
    const r = await g.api.call("POST", "/admin/projects", { mechanism: "appid" });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: { code: "internal_error", message: "internal error" } });
    expect(g.logs.text).toContain("unexpected failure (test)");
    store.failure = "none";
  });

  it("/readyz follows the readiness function", async () => {
    expect(await g.api.call("GET", "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
    ready = false;
    expect(await g.api.call("GET", "/readyz")).toMatchObject({ status: 503, body: { status: "not_ready" } });
    ready = true;
  });
});

// ---------------------------------------------------------------------------------------------
// Admin auth: HS256 secret, JWKS, dev mode.
// ---------------------------------------------------------------------------------------------

const SECRET = "admin-secret-for-tests-0123456789abcdef";
const key = new TextEncoder().encode(SECRET);
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const nowS = () => Math.floor(Date.now() / 1000);

function jwt(options: { aud?: string; exp?: number | null; nbf?: number; secret?: Uint8Array; alg?: "HS256" | "HS512" } = {}): Promise<string> {
  const payload: Record<string, unknown> = { sub: "ops" };
  if (options.nbf !== undefined) payload["nbf"] = options.nbf;
  let s = new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? "HS256" }).setIssuedAt().setAudience(options.aud ?? "rtm-auth-admin");
  if (options.exp !== null) s = s.setExpirationTime(options.exp ?? nowS() + 3600);
  return s.sign(options.secret ?? key);
}

describe("admin auth: ADMIN_JWT_SECRET (HS256)", () => {
  let g: Started;
  beforeAll(async () => {
    g = await start({ adminJwtSecret: SECRET });
  });
  afterAll(async () => {
    await g.gateway.close();
  });

  const get = (authorization?: string) => g.api.call("GET", "/admin/clock", undefined, authorization === undefined ? {} : { authorization });
  const unauthorized = (check: string) => ({ error: { code: "unauthorized", message: `a valid bearer token is required: ${check}` } });
  const NO_TOKEN = "no bearer token: send Authorization: Bearer <JWT> (rtm-auth admin-token mints one from ADMIN_JWT_SECRET)";
  const NOT_JWT = "not a JWT: the bearer token is not a well-formed signed JWT (header.payload.signature)";
  const ALGORITHM = "algorithm: the JWT's alg is not accepted (HS256 with ADMIN_JWT_SECRET; RS256, ES256 or EdDSA with ADMIN_JWKS_URL)";

  it("a valid HS256 token → 200", async () => {
    const r = await get(`Bearer ${await jwt()}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ now: T0, frozen: true });
  });

  it("writes work with a valid token", async () => {
    const api = adminApi(g.gateway.httpUrl, await jwt());
    expect((await api.call("POST", "/admin/projects", { mechanism: "appid" })).status).toBe(201);
  });

  // [label, the Authorization header, the check the 401 names]
  const cases: Array<[string, () => Promise<string | undefined>, string]> = [
    ["no Authorization header", async () => undefined, NO_TOKEN],
    ["a non-Bearer scheme", async () => `Basic ${Buffer.from(`admin:${SECRET}`).toString("base64")}`, NO_TOKEN],
    ["Bearer with no token", async () => "Bearer ", NO_TOKEN],
    ["a wrong secret", async () => `Bearer ${await jwt({ secret: new TextEncoder().encode("another-secret-of-enough-length-000000") })}`, "signature: the JWT's signature does not verify with the gateway's key"],
    ["alg none (unsigned)", async () => `Bearer ${b64url({ alg: "none", typ: "JWT" })}.${b64url({ aud: "rtm-auth-admin", exp: nowS() + 3600 })}.`, ALGORITHM],
    ["HS512 with the right secret (not on the allow-list)", async () => `Bearer ${await jwt({ alg: "HS512" })}`, ALGORITHM],
    ["an expired token", async () => `Bearer ${await jwt({ exp: nowS() - 60 })}`, "expired: the JWT's exp has passed"],
    ["nbf in the future", async () => `Bearer ${await jwt({ nbf: nowS() + 600 })}`, "not yet valid: the JWT's nbf is still in the future"],
    ["a wrong audience", async () => `Bearer ${await jwt({ aud: "someone-else" })}`, "audience: the JWT's aud does not name ADMIN_JWT_AUDIENCE (default rtm-auth-admin)"],
    ["no exp", async () => `Bearer ${await jwt({ exp: null })}`, "missing exp: every admin JWT must carry an exp (expiry time)"],
    ["garbage", async () => "Bearer not.a.jwt", NOT_JWT],
  ];
  it.each(cases)("%s → 401 unauthorized naming the failed check, no echo", async (_l, header, check) => {
    const authorization = await header();
    const r = await get(authorization);
    expect(r.status).toBe(401);
    expect(r.body).toEqual(unauthorized(check));
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="rtm-auth-admin"');
    const token = authorization?.split(" ")[1];
    if (token !== undefined && token.length > 0) expect(r.text).not.toContain(token);
  });

  it("auth comes before the body: an unauthenticated bad body is 401, not 400", async () => {
    const r = await g.api.call("POST", "/admin/projects", "{not json");
    expect(r.status).toBe(401);
  });

  it("/metrics, /healthz and /readyz need no token", async () => {
    expect((await g.api.call("GET", "/metrics")).status).toBe(200);
    expect((await g.api.call("GET", "/healthz")).status).toBe(200);
    expect((await g.api.call("GET", "/readyz")).status).toBe(200);
  });

  it("no dev-mode warning, and the secret is never logged", () => {
    expect(g.logs.text).not.toContain("ADMIN API UNAUTHENTICATED");
    expect(g.logs.text).not.toContain(SECRET);
  });
});

describe("admin auth: ADMIN_JWKS_URL", () => {
  let g: Started;
  let jwks: Server;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair("ES256")).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
    g = await start({ adminJwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json` });
  });
  afterAll(async () => {
    await g.gateway.close();
    await new Promise<void>((r) => jwks.close(() => r()));
  });

  const es256 = (k: CryptoKey, aud = "rtm-auth-admin") =>
    new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" }).setAudience(aud).setExpirationTime(nowS() + 300).sign(k);
  const get = async (token: string) => g.api.call("GET", "/admin/clock", undefined, { authorization: `Bearer ${token}` });

  it("an ES256 token signed by a JWKS key → 200", async () => {
    expect((await get(await es256(privateKey))).status).toBe(200);
  });

  it.each([
    ["another key", async () => es256(otherKey), "signature: the JWT's signature does not verify with the gateway's key"],
    ["a wrong audience", async () => es256(privateKey, "other"), "audience: the JWT's aud does not name ADMIN_JWT_AUDIENCE (default rtm-auth-admin)"],
    ["an HS256 token (not on the JWKS allow-list)", async () => jwt(), "algorithm: the JWT's alg is not accepted (HS256 with ADMIN_JWT_SECRET; RS256, ES256 or EdDSA with ADMIN_JWKS_URL)"],
  ])("%s → 401 unauthorized naming the check", async (_l, make, check) => {
    const r = await get(await make());
    expect(r.status).toBe(401);
    expect(r.body.error).toEqual({ code: "unauthorized", message: `a valid bearer token is required: ${check}` });
  });

  it("an unreachable JWKS → 503 auth_unavailable (never an accept)", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const h = await start({ adminJwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    try {
      const r = await h.api.call("GET", "/admin/clock", undefined, { authorization: `Bearer ${await es256(privateKey)}` });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("auth_unavailable");
    } finally {
      await h.gateway.close();
    }
  });
});

describe("admin auth: configuration and dev mode", () => {
  it("ADMIN_JWT_SECRET and ADMIN_JWKS_URL together → TypeError at startup", async () => {
    await expect(start({ adminJwtSecret: SECRET, adminJwksUrl: "https://auth.example/jwks.json" })).rejects.toThrow(TypeError);
  });

  it("dev mode from loopback → 200 without a token", async () => {
    expect((await dev.api.call("GET", "/admin/clock")).status).toBe(200);
  });

  // A peer that is not loopback needs a second interface on this host.
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;
  it.skipIf(lan === undefined)("dev mode from a non-loopback address → 403 forbidden", async () => {
    const g = await start({ host: "0.0.0.0" });
    try {
      const r = await fetch(`http://${lan}:${g.gateway.port}/admin/clock`);
      expect(r.status).toBe(403);
      expect(await r.json()).toEqual({ error: { code: "forbidden", message: expect.stringMatching(/loopback/) } });
      // The rest of the port is not behind admin auth.
      expect((await fetch(`http://${lan}:${g.gateway.port}/healthz`)).status).toBe(200);
    } finally {
      await g.gateway.close();
    }
  });
});
