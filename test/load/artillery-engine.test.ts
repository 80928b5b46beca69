/**
 * packages/artillery-engine-rtm-auth without Artillery: the engine constructed and driven as
 * Artillery does (`new Engine(script, events, helpers)`, `createScenario(spec, events)`, then
 * `scenario(context, callback)` per virtual user) with a recording event emitter, against a real
 * gateway (dev seed). Each outcome lands in its counter (by reason and by the profile's wire
 * code), latencies in their histograms; an unexpected one fails the user with its error code; a
 * session the gateway ends is counted and its next step fails; tokens minted by the admin API;
 * connect failures named; every mistake in a script refused at load with the field named. The
 * real `artillery run` is artillery-run.test.ts.
 */
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminClient } from "../../client/admin-client.js";
import type { Gateway } from "../../gateway/main.js";
import { EITHER, startTestGateway } from "./load-cli.js";

const require = createRequire(import.meta.url);
// The engine is CommonJS (Artillery require()s it); its settings and steps are plain objects.
const Engine = require("../../packages/artillery-engine-rtm-auth/index.js") as EngineClass;

interface UserError extends Error {
  readonly code: string;
}
type Scenario = (context: { _uid: string; vars: Record<string, unknown> }, done: (err: UserError | null) => void) => void;
interface EngineInstance {
  createScenario(spec: { name?: string; flow: unknown[] }, ee: EventEmitter): Scenario;
}
type EngineClass = (new (script: unknown, ee: EventEmitter, helpers: unknown) => EngineInstance) & { RtmAuthConfigError: new (message: string) => Error };

/** What Artillery's helpers do, as far as the engine uses them. */
const helpers = {
  template: (v: unknown) => (typeof v === "string" ? v.replace(/\{\{\s*\$env\.(\w+)\s*\}\}/g, (_m, name: string) => process.env[name] ?? "") : v),
  createThink: (spec: { think: number }) => (_ctx: unknown, cb: () => void) => setTimeout(cb, spec.think * 1000),
};

/** Events a run emitted: counters added up, histogram values, error codes. */
class Recorder extends EventEmitter {
  readonly counters: Record<string, number> = {};
  readonly histograms: Record<string, number[]> = {};
  readonly errors: string[] = [];
  started = 0;
  constructor() {
    super();
    this.on("counter", (name: string, n: number) => (this.counters[name] = (this.counters[name] ?? 0) + n));
    this.on("histogram", (name: string, v: number) => (this.histograms[name] ??= []).push(v));
    this.on("error", (code: string) => this.errors.push(code));
    this.on("started", () => this.started++);
  }
}

let gw: Gateway;
let n = 0;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.close();
});

function script(settings: Record<string, unknown>, target?: string): unknown {
  return { config: { target: target ?? gw.url, engines: { "rtm-auth": settings } } };
}

const local = (extra: Record<string, unknown> = {}) => ({ appId: EITHER.appId, certificate: EITHER.certificate, ...extra });

/** Runs one virtual user of `flow`; resolves with its error (null: completed). */
function runUser(engine: EngineInstance, ee: Recorder, flow: unknown[]): Promise<UserError | null> {
  const scenario = engine.createScenario({ name: "test", flow }, ee);
  return new Promise((resolve) => scenario({ _uid: `u${++n}-${Date.now()}`, vars: {} }, (err) => resolve(err)));
}

describe("artillery-engine-rtm-auth", () => {
  it("a full cycle on rtm2 with 006: counters, latencies, and an expected refusal that does not fail the user", async () => {
    const ee = new Recorder();
    const engine = new Engine(script(local({ profile: "rtm2" })), ee, helpers);
    const ok = await runUser(engine, ee, [{ connect: {} }, { login: { token: "006" } }, { think: 1.1 }, { renew: {} }, { logout: {} }]);
    const refused = await runUser(engine, ee, [{ connect: {} }, { login: { bug: "wrong_certificate" } }, { logout: {} }]);
    const appId = await runUser(engine, ee, [{ login: { token: "none" } }, { logout: {} }]);
    expect([ok, refused, appId]).toEqual([null, null, null]);
    expect(ee.started).toBe(3);
    expect(ee.counters).toEqual({
      "rtm_auth.login.attempts": 3,
      "rtm_auth.login.accepted": 2,
      "rtm_auth.login.refused": 1,
      "rtm_auth.login.refused.invalid_signature": 1,
      "rtm_auth.login.codes.-10005": 1,
      "rtm_auth.renew.attempts": 1,
      "rtm_auth.renew.accepted": 1,
      "rtm_auth.logout.attempts": 2,
      "rtm_auth.logout.accepted": 2,
    });
    expect(ee.errors).toEqual([]);
    expect(ee.histograms["rtm_auth.login.response_time"]).toHaveLength(3);
    expect(ee.histograms["rtm_auth.renew.response_time"]).toHaveLength(1);
    expect(ee.histograms["rtm_auth.logout.response_time"]).toHaveLength(2);
    expect(ee.histograms["rtm_auth.connect.response_time"]).toHaveLength(2);
    for (const v of Object.values(ee.histograms).flat()) expect(v).toBeGreaterThan(0);
  });

  it("an unexpected answer fails the user with rtm_auth:<op>:<reason>; an expected one (expect) does not", async () => {
    const ee = new Recorder();
    const engine = new Engine(script(local()), ee, helpers);
    const wrong = await runUser(engine, ee, [{ connect: {} }, { login: { bug: "wrong_certificate", expect: "accept" } }]);
    expect(wrong?.code).toBe("rtm_auth:login:invalid_signature");
    expect(wrong?.message).toBe("login: refused invalid_signature (5 LOGIN_ERR_INVALID_TOKEN)");
    const accepted = await runUser(engine, ee, [{ login: { expect: "token_expired" } }]);
    expect(accepted?.code).toBe("rtm_auth:login:accepted");
    const expired = await runUser(engine, ee, [{ login: { bug: "expired", token: "006" } }]);
    expect(expired).toBeNull();
    const wrongUid = await runUser(engine, ee, [{ login: { bug: "wrong_uid" } }]);
    expect(wrongUid).toBeNull();
    expect(ee.counters["rtm_auth.unexpected"]).toBe(2);
    expect(ee.errors).toEqual(["rtm_auth:login:invalid_signature", "rtm_auth:login:accepted"]);
    expect(ee.counters["rtm_auth.login.refused.token_expired"]).toBe(1);
    expect(ee.counters["rtm_auth.login.codes.6"]).toBe(1);
    expect(ee.counters["rtm_auth.login.refused.uid_mismatch"]).toBe(1);
    expect(ee.counters["rtm_auth.login.codes.3"]).toBe(1);
  });

  it("tokens minted by the admin API (adminUrl); a renewal refused on purpose keeps the flow going", async () => {
    const ee = new Recorder();
    const engine = new Engine(script({ appId: EITHER.appId, adminUrl: gw.httpUrl }), ee, helpers);
    const user = await runUser(engine, ee, [{ login: { token: "007", ttl: 600 } }, { think: 1.1 }, { renew: { bug: "wrong_certificate" } }, { logout: {} }]);
    expect(user).toBeNull();
    expect(ee.counters).toMatchObject({
      "rtm_auth.login.accepted": 1,
      "rtm_auth.renew.refused.invalid_signature": 1,
      "rtm_auth.renew.codes.6": 1,
      "rtm_auth.logout.accepted": 1,
    });
  });

  it("a session the gateway ends (kick, close 4502) is counted, and the next step fails as not logged in", async () => {
    const ee = new Recorder();
    const engine = new Engine(script(local()), ee, helpers);
    const uid = `kick-me-${Date.now()}`;
    const admin = createAdminClient(gw.httpUrl);
    const user = runUser(engine, ee, [{ connect: {} }, { login: { uid } }, { think: 1.5 }, { logout: {} }]);
    let sessions: { sessionId: string }[] = [];
    for (let i = 0; i < 50 && sessions.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      sessions = await admin.sessions.list({ uid });
    }
    expect(sessions).toHaveLength(1);
    await admin.sessions.kick(sessions[0]!.sessionId);
    const err = await user;
    expect(err?.code).toBe("rtm_auth:logout:not_logged_in");
    expect(err?.message).toBe("logout: the gateway ended the session (close 4502)");
    expect(ee.counters["rtm_auth.session.ended.4502"]).toBe(1);
    expect(ee.counters["rtm_auth.logout.failed.not_logged_in"]).toBe(1);
    expect(ee.counters["rtm_auth.logout.attempts"]).toBeUndefined();
  });

  it("connect failures are named: nothing listening, an upgrade refused with its HTTP status", async () => {
    const ee = new Recorder();
    const refused = await runUser(new Engine(script(local(), "ws://127.0.0.1:9/rtm"), ee, helpers), ee, [{ connect: {} }, { login: {} }]);
    expect(refused?.code).toBe("rtm_auth:connect:ECONNREFUSED");
    const wrongPath = await runUser(new Engine(script(local(), `${gw.url.replace(/\/rtm$/, "")}/nope`), ee, helpers), ee, [{ connect: {} }]);
    expect(wrongPath?.code).toBe("rtm_auth:connect:http_404");
    expect(ee.counters).toMatchObject({ "rtm_auth.connect.failed.ECONNREFUSED": 1, "rtm_auth.connect.failed.http_404": 1, "rtm_auth.unexpected": 2 });
    expect(ee.counters["rtm_auth.login.attempts"]).toBeUndefined();
  });

  it("settings may come from the environment through Artillery templates, checked once filled in", async () => {
    process.env["RTM_AUTH_TEST_CERTIFICATE"] = EITHER.certificate!;
    process.env["RTM_AUTH_TEST_BAD"] = "not-hex";
    try {
      const ee = new Recorder();
      const ok = await runUser(new Engine(script(local({ certificate: "{{ $env.RTM_AUTH_TEST_CERTIFICATE }}" })), ee, helpers), ee, [{ login: {} }, { logout: {} }]);
      expect(ok).toBeNull();
      const bad = await runUser(new Engine(script(local({ certificate: "{{ $env.RTM_AUTH_TEST_BAD }}" })), ee, helpers), ee, [{ login: {} }]);
      expect(bad?.message).toBe("artillery-engine-rtm-auth: certificate must be 32 hex characters");
      expect(ee.errors).toEqual(["rtm_auth:artillery-engine-rtm-auth: certificate must be 32 hex characters"]);
    } finally {
      delete process.env["RTM_AUTH_TEST_CERTIFICATE"];
      delete process.env["RTM_AUTH_TEST_BAD"];
    }
  });

  it.each<[string, Record<string, unknown>, unknown[], string]>([
    ["no appId", { certificate: EITHER.certificate }, [{ login: {} }], "config.engines.rtm-auth.appId is required"],
    ["both ways to mint", local({ adminUrl: "http://127.0.0.1:1" }), [{ login: {} }], "give exactly one of certificate (mint tokens locally) and adminUrl (mint them with the admin API)"],
    ["a bad certificate", local({ certificate: "abc" }), [{ login: {} }], "certificate must be 32 hex characters"],
    ["an unknown profile", local({ profile: "rtm3" }), [{ login: {} }], 'profile must be rtm1 or rtm2, got "rtm3"'],
    ["an unknown setting", local({ apId: "x" }), [{ login: {} }], 'config.engines.rtm-auth: unknown field "apId"'],
    ["a bad timeout", local({ timeout: 0 }), [{ login: {} }], "config.engines.rtm-auth.timeout must be a number of seconds in (0, 600], got 0"],
    ["an unknown step", local(), [{ login: {} }, { kick: {} }], "flow[1] must have exactly one of connect, login, renew, logout, think (got \"kick\")"],
    ["two steps in one", local(), [{ login: {}, logout: {} }], "flow[0] must have exactly one of connect, login, renew, logout, think"],
    ["an unknown bug", local(), [{ login: { bug: "late" } }], 'flow[0].login.bug must be one of expiry_as_timestamp, wrong_uid, expired, wrong_certificate, got "late"'],
    ["an unknown token kind", local(), [{ login: { token: "008" } }], 'flow[0].login.token must be one of 007, 006, none, got "008"'],
    ["a renewal without a token", local(), [{ login: {} }, { renew: { token: "none" } }], "flow[1].renew.token: a renewal sends a token (006 or 007)"],
    ["an unknown login field", local(), [{ login: { user: "x" } }], 'flow[0].login: unknown field "user"'],
    ["an expired token with the admin API only", { appId: EITHER.appId, adminUrl: "http://127.0.0.1:1" }, [{ login: { bug: "expired" } }], "an expired token is minted locally (backdated): give config.engines.rtm-auth.certificate, not only adminUrl"],
    ["an empty flow", local(), [], "flow must be a non-empty list of steps"],
  ])("a script with %s is refused at load, the field named", (_name, settings, flow, message) => {
    const ee = new Recorder();
    const load = () => new Engine(script(settings), ee, helpers).createScenario({ name: "s", flow }, ee);
    expect(load).toThrow(Engine.RtmAuthConfigError);
    expect(load).toThrow(`artillery-engine-rtm-auth: `);
    expect(load).toThrow(message);
  });

  it("no target anywhere is refused at load", () => {
    expect(() => new Engine({ config: { engines: { "rtm-auth": local() } } }, new Recorder(), helpers)).toThrow("no target: set config.target (or config.engines.rtm-auth.target) to the gateway, e.g. ws://127.0.0.1:8080/rtm");
  });
});
