/**
 * GET /metrics on a real gateway after real traffic: logins accepted and refused with distinct
 * reasons (both profiles), a kick, a token expiry, an admin write. Asserts the exact label sets
 * and counts of rtm_auth_attempts_total, the closes by code, the duration histogram, build info,
 * the content type, and that no App ID, uid, certificate or token appears anywhere in the output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import type { Profile } from "../../core/protocol/wire.js";
import { adminApi, type AdminApi } from "../support/admin-api.js";
import { APPS, startHarness, type Harness } from "../support/gateway-harness.js";
import { expectRtmError, recordedClient } from "../support/recorder.js";

/** One sample line: metric name, labels, value. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** A canonical key for a label set. */
const key = (labels: Record<string, string>) =>
  Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

const UIDS = { alice: "metrics-uid-alice", bob: "metrics-uid-bob", carol: "metrics-uid-carol", dave: "metrics-uid-dave" };
const UNKNOWN_APP = "0123456789abcdef0123456789abcdef";
const WRONG_CERT = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";

let h: Harness;
let api: AdminApi;
let text = "";
let contentType = "";
let samples: Sample[] = [];
const tokens: string[] = [];

beforeAll(async () => {
  h = await startHarness({ willExpireSeconds: 30 });
  api = adminApi(h.gateway.httpUrl);
  const mint = (...args: Parameters<Harness["token"]>) => {
    const t = h.token(...args);
    tokens.push(t);
    return t;
  };
  const attempt = async (appId: string, uid: string, token: string | null, profile: Profile, expected?: { code: number; reason: string }) => {
    const c = createRtmClient({ url: h.gateway.url, appId, profile });
    try {
      if (expected === undefined) await c.login({ uid, token });
      else await expectRtmError(c.login({ uid, token }), expected);
    } finally {
      await c.close();
    }
  };

  // Accepted: rtm1 token login (primary), rtm2 App ID login, rtm1 token login with the secondary certificate.
  await attempt(APPS.token.appId, UIDS.dave, mint("token", UIDS.dave), "rtm1");
  await attempt(APPS.appid.appId, UIDS.bob, null, "rtm2");
  await attempt(APPS.rotating.appId, UIDS.dave, mint("rotating", UIDS.dave, { certificate: APPS.rotating.secondary }), "rtm1");
  // Refused with distinct reasons.
  await attempt(APPS.token.appId, UIDS.dave, null, "rtm1", { code: 5, reason: "token_required" });
  await attempt(APPS.token.appId, UIDS.dave, mint("token", UIDS.dave, { certificate: WRONG_CERT }), "rtm1", { code: 5, reason: "invalid_signature" });
  await attempt(APPS.token.appId, UIDS.dave, mint("token", UIDS.dave, { certificate: WRONG_CERT }), "rtm1", { code: 5, reason: "invalid_signature" });
  await attempt(UNKNOWN_APP, UIDS.dave, null, "rtm2", { code: -10003, reason: "unknown_app_id" });

  // A kick (4502).
  const alice = recordedClient(h.gateway.url, APPS.either.appId, "rtm1");
  const s = await alice.client.login({ uid: UIDS.alice, token: null });
  expect((await api.call("DELETE", `/admin/sessions/${s.sessionId}`)).status).toBe(204);
  expect(await alice.closed()).toBe(4502);

  // A token expiry (will-expire push, then 4503) through the simulated clock.
  const carol = recordedClient(h.gateway.url, APPS.token.appId, "rtm1");
  await carol.client.login({ uid: UIDS.carol, token: mint("token", UIDS.carol, { expireSeconds: 60 }) });
  expect((await api.call("POST", "/admin/clock/advance", { seconds: 61 })).status).toBe(200);
  expect(await carol.closed()).toBe(4503);

  // One session stays logged in.
  const bob = recordedClient(h.gateway.url, APPS.appid.appId, "rtm2");
  await bob.client.login({ uid: UIDS.bob });

  // An admin write: one certificate cache change.
  expect((await api.call("POST", `/admin/projects/${APPS.appid.appId}/certificates/primary`)).status).toBe(200);

  // The gateway sees a client's close a moment after the client does: wait until only bob is left.
  for (let i = 0; i < 100 && (h.gateway.sessions.sessionCount !== 1 || h.gateway.sessions.connectionCount !== 1); i++) await new Promise((r) => setTimeout(r, 10));

  const res = await fetch(`${h.gateway.httpUrl}/metrics`);
  expect(res.status).toBe(200);
  contentType = res.headers.get("content-type") ?? "";
  text = await res.text();
  samples = parse(text);
});
afterAll(async () => {
  await h.close();
});

const of = (name: string) => samples.filter((s) => s.name === name);

describe("GET /metrics", () => {
  it("Prometheus text format", () => {
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(text).toContain("# TYPE rtm_auth_attempts_total counter");
    expect(text).toContain("# TYPE rtm_auth_duration_seconds histogram");
    expect(text).toContain("# TYPE rtm_auth_active_sessions gauge");
  });

  it("rtm_auth_attempts_total: exactly these label sets and counts", () => {
    const L = (op: string, result: string, reason: string, mode: string, credential: string, slot: string, profile: string) => key({ op, result, reason, mode, credential, slot, profile });
    const got = Object.fromEntries(of("rtm_auth_attempts_total").map((s) => [key(s.labels), s.value]));
    expect(got).toEqual({
      [L("login", "accepted", "ok", "token", "token", "primary", "rtm1")]: 2, // dave, carol
      [L("login", "accepted", "ok", "appid", "appid", "none", "rtm2")]: 2, // bob twice
      [L("login", "accepted", "ok", "token", "token", "secondary", "rtm1")]: 1,
      [L("login", "accepted", "ok", "either", "appid", "none", "rtm1")]: 1, // alice
      [L("login", "refused", "token_required", "token", "appid", "none", "rtm1")]: 1,
      [L("login", "refused", "invalid_signature", "token", "token", "none", "rtm1")]: 2,
      [L("login", "refused", "unknown_app_id", "none", "appid", "none", "rtm2")]: 1,
    });
  });

  it("session closes by code: one kick (4502), one expiry (4503)", () => {
    const closes = Object.fromEntries(of("rtm_auth_session_closes_total").map((s) => [s.labels["code"], s.value]));
    expect(closes["4502"]).toBe(1);
    expect(closes["4503"]).toBe(1);
    expect(closes["4501"]).toBe(0);
    // Logged-in clients that closed their socket themselves: dave twice and bob's first session.
    expect(closes["1000"]).toBe(3);
  });

  it("token expiry warning and expiry counters", () => {
    expect(of("rtm_auth_token_expiry_warnings_total")).toEqual([{ name: "rtm_auth_token_expiry_warnings_total", labels: {}, value: 1 }]);
    expect(of("rtm_auth_token_expiries_total")).toEqual([{ name: "rtm_auth_token_expiries_total", labels: {}, value: 1 }]);
  });

  it("the duration histogram: sub-millisecond buckets per op, count = attempts", () => {
    const buckets = of("rtm_auth_duration_seconds_bucket").filter((s) => s.labels["op"] === "login");
    expect(buckets.map((b) => b.labels["le"])).toEqual(["0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "+Inf"]);
    const count = of("rtm_auth_duration_seconds_count").find((s) => s.labels["op"] === "login");
    expect(count?.value).toBe(10);
    expect(buckets.at(-1)?.value).toBe(10);
    // Cumulative buckets never decrease.
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(of("rtm_auth_duration_seconds_sum").find((s) => s.labels["op"] === "login")?.value).toBeGreaterThan(0);
  });

  it("active sessions, cache events, build info, default metrics", () => {
    expect(of("rtm_auth_active_sessions")).toEqual([{ name: "rtm_auth_active_sessions", labels: {}, value: 1 }]);
    const cache = Object.fromEntries(of("rtm_auth_certificate_cache_events_total").map((s) => [s.labels["event"], s.value]));
    expect(cache).toEqual({ change: 1, reload: 0 });
    expect(of("rtm_auth_build_info")).toEqual([{ name: "rtm_auth_build_info", labels: { version: "0.1.0", node: process.version }, value: 1 }]);
    expect(of("process_cpu_user_seconds_total")).toHaveLength(1);
    expect(of("rtm_auth_redis_up")).toEqual([]);
  });

  it("no App ID, uid, certificate or token anywhere in the output", () => {
    const forbidden = [
      ...Object.values(APPS).flatMap((a) => [a.appId, a.certificate, "secondary" in a ? a.secondary : null]),
      UNKNOWN_APP,
      WRONG_CERT,
      ...Object.values(UIDS),
      "metrics-uid",
      ...tokens,
    ].filter((s): s is string => s !== null);
    for (const s of forbidden) expect(text.includes(s), `"${s.slice(0, 40)}" in /metrics`).toBe(false);
    // And no label outside the documented names.
    const names = new Set(samples.filter((s) => s.name.startsWith("rtm_auth_")).flatMap((s) => Object.keys(s.labels)));
    expect([...names].sort()).toEqual(["code", "credential", "event", "kind", "le", "mode", "node", "op", "profile", "reason", "result", "slot", "version"]);
  });
});
