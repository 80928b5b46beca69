/** The metrics module on its own registry: closed label sets, conditional gauges, no global state. */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../../gateway/infra/metrics.js";
import type { Decision } from "../../../../gateway/sessions/decision.js";

const base: Decision = {
  op: "login",
  result: "accepted",
  reason: "ok",
  profile: "rtm1",
  appId: "0123456789abcdef0123456789abcdef",
  uid: "secret-user",
  mode: "token",
  credential: "token",
  tokenVersion: "007",
  slot: "primary",
  sessionId: "s-1",
  at: 1,
  latencyMs: 0.02,
  failedCheck: null,
  closeCode: null,
};

async function text(registry: Registry): Promise<string> {
  return registry.metrics();
}

describe("createMetrics", () => {
  it("uses only the injected registry (two gateways, two registries, no clash)", async () => {
    const a = createMetrics({ registry: new Registry(), defaultMetrics: false });
    const b = createMetrics({ registry: new Registry(), defaultMetrics: false });
    a.decisionObserver(base);
    expect(await text(a.registry)).toContain('rtm_auth_attempts_total{op="login",result="accepted",reason="ok",mode="token",credential="token",slot="primary",profile="rtm1"} 1');
    expect(await text(b.registry)).not.toContain("rtm_auth_attempts_total{");
  });

  it("values outside the closed sets become none; no App ID, uid or session id", async () => {
    const m = createMetrics({ registry: new Registry(), defaultMetrics: false });
    m.decisionObserver({ ...base, mode: null, credential: null, slot: null, profile: "rtm9" as never, reason: "weird" as never });
    const out = await text(m.registry);
    expect(out).toContain('rtm_auth_attempts_total{op="login",result="accepted",reason="none",mode="none",credential="none",slot="none",profile="none"} 1');
    expect(out).not.toContain(base.appId);
    expect(out).not.toContain("secret-user");
    expect(out).not.toContain("s-1");
  });

  it("session_end decisions are not attempts; token expiries are counted", async () => {
    const m = createMetrics({ registry: new Registry(), defaultMetrics: false });
    m.decisionObserver({ ...base, op: "session_end", result: "ended", reason: "session_token_expired", closeCode: 4503 });
    m.decisionObserver({ ...base, op: "session_end", result: "ended", reason: "banned", closeCode: 4502 });
    const out = await text(m.registry);
    expect(out).not.toContain("rtm_auth_attempts_total{");
    expect(out).toContain("rtm_auth_token_expiries_total 1");
  });

  it("closes of logged-in sessions by code; unknown codes are 'other'", async () => {
    const m = createMetrics({ registry: new Registry(), defaultMetrics: false });
    m.sessionObserver({ type: "closed", code: 4502, loggedIn: true });
    m.sessionObserver({ type: "closed", code: 3999, loggedIn: true });
    m.sessionObserver({ type: "closed", code: 4001, loggedIn: false });
    m.sessionObserver({ type: "will_expire" });
    const out = await text(m.registry);
    expect(out).toContain('rtm_auth_session_closes_total{code="4502"} 1');
    expect(out).toContain('rtm_auth_session_closes_total{code="other"} 1');
    expect(out).toContain('rtm_auth_session_closes_total{code="4001"} 0');
    expect(out).not.toContain('code="3999"');
    expect(out).toContain("rtm_auth_token_expiry_warnings_total 1");
  });

  it("counts runs of alike decisions and switches between label sets exactly, across scrapes", async () => {
    const m = createMetrics({ registry: new Registry(), defaultMetrics: false });
    const refused: Decision = { ...base, result: "refused", reason: "invalid_signature", slot: null };
    const series = (d: Decision): string =>
      `rtm_auth_attempts_total{op="${d.op}",result="${d.result}",reason="${d.reason}",mode="token",credential="token",slot="${d.slot ?? "none"}",profile="rtm1"}`;
    for (const d of [base, base, base, refused, refused, base, { ...base, profile: "rtm2" as const }, base]) m.decisionObserver(d);
    let out = await text(m.registry);
    expect(out).toContain(`${series(base)} 5`);
    expect(out).toContain(`${series(refused)} 2`);
    expect(out).toContain('rtm_auth_attempts_total{op="login",result="accepted",reason="ok",mode="token",credential="token",slot="primary",profile="rtm2"} 1');
    // After a scrape, the same run goes on counting into the same series.
    m.decisionObserver(base);
    m.decisionObserver(base);
    m.sessionObserver({ type: "closed", code: 1000, loggedIn: true });
    out = await text(m.registry);
    expect(out).toContain(`${series(base)} 7`);
    m.sessionObserver({ type: "closed", code: 1000, loggedIn: true });
    out = await text(m.registry);
    expect(out).toContain('rtm_auth_session_closes_total{code="1000"} 2');
  });

  it("the sessions and Redis gauges exist only when their callbacks are given", async () => {
    const without = await text(createMetrics({ registry: new Registry(), defaultMetrics: false }).registry);
    expect(without).not.toContain("rtm_auth_redis_up");
    expect(without).not.toContain("rtm_auth_active_sessions");
    let up = true;
    const m = createMetrics({ registry: new Registry(), defaultMetrics: false, sessions: () => 7, redisUp: () => up });
    expect(await text(m.registry)).toContain("rtm_auth_redis_up 1");
    up = false;
    const out = await text(m.registry);
    expect(out).toContain("rtm_auth_redis_up 0");
    expect(out).toContain("rtm_auth_active_sessions 7");
  });

  it("cache events and build info", async () => {
    const m = createMetrics({ registry: new Registry(), defaultMetrics: false, version: "9.9.9" });
    m.onStoreChange("0123456789abcdef0123456789abcdef");
    m.onStoreChange("0123456789abcdef0123456789abcdef");
    m.onCacheReload();
    const out = await text(m.registry);
    expect(out).toContain('rtm_auth_certificate_cache_events_total{event="change"} 2');
    expect(out).toContain('rtm_auth_certificate_cache_events_total{event="reload"} 1');
    expect(out).toContain(`rtm_auth_build_info{version="9.9.9",node="${process.version}"} 1`);
    expect(out).not.toContain("0123456789abcdef0123456789abcdef");
  });

  it("default metrics are registered on the injected registry", async () => {
    const m = createMetrics({ registry: new Registry() });
    expect(await text(m.registry)).toContain("process_cpu_user_seconds_total");
  });
});
