/**
 * Cross-site safety and admin JWT claims (issue 11, Build item 6; docs/admin-api-security.md) on
 * real gateways (127.0.0.1, port 0, raw HTTP requests so every header is the test's own): what a
 * browser page on another site can make the operator's browser send is refused (403/415) and
 * changes nothing; curl-style and same-origin calls keep working; admin JWTs need a bounded
 * lifetime, no future iat, and the configured issuer and audience.
 */
import { request } from "node:http";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS, startHarness, type Harness } from "../support/gateway-harness.js";

interface Reply {
  readonly status: number;
  readonly body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** One HTTP request to the gateway on 127.0.0.1 with exactly these headers (plus Host, unless given). */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) h["content-length"] = Buffer.byteLength(body);
    const req = request({ host: "127.0.0.1", port, method, path, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text === "" ? {} : (JSON.parse(text) as Reply["body"]) });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const JSON_TYPE = { "content-type": "application/json" };
const APP_IDS = Object.values(APPS).map((a) => a.appId).sort();

/** The App IDs the gateway holds now. */
async function appIds(port: number): Promise<string[]> {
  const r = await send(port, "GET", "/admin/projects");
  expect(r.status).toBe(200);
  return (r.body["projects"] as Array<{ appId: string }>).map((p) => p.appId).sort();
}

describe("cross-site safety in dev mode (no ADMIN_JWT_SECRET / ADMIN_JWKS_URL)", () => {
  let h: Harness;
  let port: number;
  let self: string;
  beforeAll(async () => {
    h = await startHarness();
    port = h.gateway.port;
    self = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await h.close();
  });

  it("a cross-origin text/plain POST to /admin/reset (what any web page can send) → 403 cross_site_request; nothing changed", async () => {
    expect(await appIds(port)).toEqual(APP_IDS);
    const r = await send(port, "POST", "/admin/reset", { origin: "https://attacker.example", "content-type": "text/plain;charset=UTF-8", "sec-fetch-site": "cross-site" }, "{}");
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe("cross_site_request");
    expect(await appIds(port)).toEqual(APP_IDS);
  });

  it.each([
    ["Origin of another site, no Sec-Fetch-Site (an older browser)", { origin: "https://attacker.example" }],
    ["Origin of another port on this host", { origin: "http://127.0.0.1:1" }],
    ["Origin: null (sandboxed frame, file: page)", { origin: "null" }],
    ["Sec-Fetch-Site: cross-site, no Origin", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site" }],
  ])("%s → 403 cross_site_request, even with a JSON body; nothing changed", async (_label, headers) => {
    const r = await send(port, "POST", "/admin/reset", { ...headers, ...JSON_TYPE }, "{}");
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe("cross_site_request");
    // A GET is refused as well: the guard looks at the headers, not the method.
    const g = await send(port, "GET", "/admin/projects", headers);
    expect({ status: g.status, code: g.body.error?.code }).toEqual({ status: 403, code: "cross_site_request" });
    expect(await appIds(port)).toEqual(APP_IDS);
  });

  it("a text/plain body without Origin → 415 unsupported_media_type with the hint; nothing changed", async () => {
    const reset = await send(port, "POST", "/admin/reset", { "content-type": "text/plain" }, "{}");
    expect(reset.status).toBe(415);
    expect(reset.body.error?.code).toBe("unsupported_media_type");
    expect(reset.body.error?.message).toContain("send content-type: application/json");
    const create = await send(port, "POST", "/admin/projects", { "content-type": "text/plain" }, JSON.stringify({ mechanism: "appid", appId: "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c" }));
    expect({ status: create.status, code: create.body.error?.code }).toEqual({ status: 415, code: "unsupported_media_type" });
    expect(await appIds(port)).toEqual(APP_IDS);
  });

  it("application/x-www-form-urlencoded (curl -d without -H) → 415; a body with no content-type → 415; nothing changed", async () => {
    const form = await send(port, "POST", "/admin/projects", { "content-type": "application/x-www-form-urlencoded" }, "mechanism=appid");
    expect({ status: form.status, code: form.body.error?.code }).toEqual({ status: 415, code: "unsupported_media_type" });
    // The hint is the fix for exactly this mistake: the header curl -d needs.
    expect(form.body.error?.message).toContain("(curl: -H 'content-type: application/json' -d '{…}')");
    const bare = await send(port, "POST", "/admin/projects", {}, JSON.stringify({ mechanism: "appid" }));
    expect({ status: bare.status, code: bare.body.error?.code }).toEqual({ status: 415, code: "unsupported_media_type" });
    expect(bare.body.error?.message).toContain("send content-type: application/json");
    expect(await appIds(port)).toEqual(APP_IDS);
  });

  it("application/json; charset=utf-8 works", async () => {
    const r = await send(port, "POST", "/admin/projects", { "content-type": "application/json; charset=utf-8" }, JSON.stringify({ mechanism: "appid", appId: "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d" }));
    expect(r.status).toBe(201);
    expect(r.body["appId"]).toBe("0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d");
  });

  it("a same-origin request (a page served by the gateway itself) works", async () => {
    const r = await send(port, "POST", "/admin/projects", { origin: self, "sec-fetch-site": "same-origin", ...JSON_TYPE }, JSON.stringify({ mechanism: "appid", appId: "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e" }));
    expect(r.status).toBe(201);
    expect((await send(port, "GET", "/admin/clock", { origin: self })).status).toBe(200);
    expect((await send(port, "GET", "/admin/clock", { "sec-fetch-site": "none" })).status).toBe(200);
  });

  it("a bodiless POST without content-type (the README's curl -XPOST) works", async () => {
    const r = await send(port, "POST", "/admin/projects/0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d/certificates/primary");
    expect(r.status).toBe(200);
    expect(r.body["mode"]).toBe("either");
  });

  it("a DNS-rebound name (Host not loopback, peer on loopback) → 403 forbidden; nothing changed", async () => {
    const before = await appIds(port);
    const host = `attacker.example:${port}`;
    // Under DNS rebinding the page's origin is the rebound name, so Origin matches Host.
    const r = await send(port, "POST", "/admin/reset", { host, origin: `http://${host}`, ...JSON_TYPE }, "{}");
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe("forbidden");
    expect(await appIds(port)).toEqual(before);
    expect((await send(port, "GET", "/admin/clock", { host: `localhost:${port}` })).status).toBe(200);
  });

  it("/healthz, /readyz and /metrics are not behind the guard", async () => {
    const cross = { origin: "https://attacker.example", "sec-fetch-site": "cross-site" };
    expect((await send(port, "GET", "/healthz", cross)).status).toBe(200);
    expect((await send(port, "GET", "/readyz", cross)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
// JWT mode: the guard comes before auth, JSON-only after it, and the claim rules.
// ---------------------------------------------------------------------------------------------

const SECRET = "admin-security-test-secret-0123456789abcdef";
const KEY = new TextEncoder().encode(SECRET);
const nowS = () => Math.floor(Date.now() / 1000);

interface Claims {
  readonly exp?: number;
  readonly iat?: number;
  readonly iss?: string;
  readonly aud?: string;
}
const sign = (claims: Claims) => new SignJWT({ sub: "ops", ...claims }).setProtectedHeader({ alg: "HS256" }).sign(KEY);
const bearer = async (claims: Claims) => ({ authorization: `Bearer ${await sign(claims)}` });

describe("admin JWT claims, default settings (24 h lifetime, 30 s skew, any issuer, audience rtm-auth-admin)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ adminJwtSecret: SECRET });
  });
  afterAll(async () => {
    await h.close();
  });
  const get = async (claims: Claims) => send(h.gateway.port, "GET", "/admin/clock", await bearer(claims));

  it("a good token (iat now, exp in 1 h) → 200", async () => {
    expect((await get({ aud: "rtm-auth-admin", iat: nowS(), exp: nowS() + 3600 })).status).toBe(200);
  });

  const LIFETIME = "lifetime: exp - iat (exp - now without iat) is over ADMIN_JWT_MAX_LIFETIME_SECONDS";
  it.each<[string, () => Claims, string]>([
    ["no exp", () => ({ aud: "rtm-auth-admin", iat: nowS() }), "missing exp: every admin JWT must carry an exp (expiry time)"],
    ["a 100-year lifetime", () => ({ aud: "rtm-auth-admin", iat: nowS(), exp: nowS() + 100 * 365 * 86_400 }), LIFETIME],
    ["a lifetime one second over 24 h", () => ({ aud: "rtm-auth-admin", iat: nowS() - 60, exp: nowS() - 60 + 86_401 }), LIFETIME],
    ["no iat and exp 25 h away", () => ({ aud: "rtm-auth-admin", exp: nowS() + 25 * 3600 }), LIFETIME],
    ["iat 10 minutes in the future (beyond the 30 s skew)", () => ({ aud: "rtm-auth-admin", iat: nowS() + 600, exp: nowS() + 1200 }), "iat in the future: the JWT's iat is more than ADMIN_JWT_CLOCK_SKEW_SECONDS ahead of this gateway's clock"],
    ["a wrong audience", () => ({ aud: "someone-else", iat: nowS(), exp: nowS() + 3600 }), "audience: the JWT's aud does not name ADMIN_JWT_AUDIENCE (default rtm-auth-admin)"],
  ])("%s → 401 unauthorized naming the check", async (_label, claims, check) => {
    const r = await get(claims());
    expect(r.status).toBe(401);
    expect(r.body.error).toEqual({ code: "unauthorized", message: `a valid bearer token is required: ${check}` });
  });

  it("the cross-site guard runs before auth: a cross-origin call without a token → 403 cross_site_request, not 401", async () => {
    const r = await send(h.gateway.port, "POST", "/admin/reset", { origin: "https://attacker.example", "content-type": "text/plain" }, "{}");
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 403, code: "cross_site_request" });
  });

  it("JSON-only runs after auth: text/plain without a token → 401; with a good token → 415; nothing changed", async () => {
    const port = h.gateway.port;
    const anonymous = await send(port, "POST", "/admin/reset", { "content-type": "text/plain" }, "{}");
    expect({ status: anonymous.status, code: anonymous.body.error?.code }).toEqual({ status: 401, code: "unauthorized" });
    const auth = await bearer({ aud: "rtm-auth-admin", iat: nowS(), exp: nowS() + 600 });
    const r = await send(port, "POST", "/admin/reset", { ...auth, "content-type": "text/plain" }, "{}");
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 415, code: "unsupported_media_type" });
    const list = await send(port, "GET", "/admin/projects", auth);
    expect((list.body["projects"] as Array<{ appId: string }>).map((p) => p.appId).sort()).toEqual(APP_IDS);
  });
});

describe("admin JWT claims, ADMIN_JWT_ISSUER and ADMIN_JWT_AUDIENCE set, a 10-minute lifetime", () => {
  const ISSUER = "https://idp.example";
  const AUDIENCE = "ops-console";
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ adminJwtSecret: SECRET, adminJwtIssuer: ISSUER, adminJwtAudience: AUDIENCE, adminJwtMaxLifetimeSeconds: 600 });
  });
  afterAll(async () => {
    await h.close();
  });
  const get = async (claims: Claims) => send(h.gateway.port, "GET", "/admin/clock", await bearer(claims));
  const good = (): Claims => ({ iss: ISSUER, aud: AUDIENCE, iat: nowS(), exp: nowS() + 600 });

  it("the right issuer and the custom audience → 200", async () => {
    expect((await get(good())).status).toBe(200);
  });

  it.each<[string, () => Claims]>([
    ["a wrong issuer", () => ({ ...good(), iss: "https://evil.example" })],
    ["no issuer", () => ({ aud: AUDIENCE, iat: nowS(), exp: nowS() + 600 })],
    ["the default audience rtm-auth-admin (no longer the one configured)", () => ({ ...good(), aud: "rtm-auth-admin" })],
    ["a lifetime over the configured 600 s", () => ({ ...good(), exp: nowS() + 601 })],
  ])("%s → 401 unauthorized", async (_label, claims) => {
    const r = await get(claims());
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 401, code: "unauthorized" });
  });
});
