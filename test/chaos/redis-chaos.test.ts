/**
 * Redis chaos under login load (issue 11, Build item 9): two gateway processes share the test's
 * OWN redis-server (never the suite's or the shared one) with REDIS_MAX_STALENESS_SECONDS=1, while
 * a bounded load of logins (about 200/s, a new connection each, RTM 1.x and 2.x) runs on 127.0.0.1.
 * Redis is then frozen (SIGSTOP/SIGCONT), stopped cleanly and restarted, and killed (SIGKILL) and
 * restarted on the same port, each for longer than the staleness window; CHAOS_SCALE=n runs that
 * sequence n times (the rate stays bounded).
 *
 * Just before each outage an admin write on each gateway, seen by the other, marks the last good
 * contact with Redis (tc), so the staleness window is known to the test. Asserted:
 * - while Redis is healthy, every login is accepted (no flapping);
 * - from the outage until tc + 1 s, logins are still decided from the in-process copy (accepted);
 * - from the outage + 1 s until Redis is back, every login is refused with `store_unavailable` and
 *   the profile's wire code (1.x 1 LOGIN_ERR_UNKNOWN, 2.x -10010), and `/readyz` answers 503;
 * - in between (the boundaries, the recovery), nothing but accepts and `store_unavailable`;
 * - after Redis is back, logins are accepted again and `/readyz` answers 200 within a few seconds;
 * - every login got a reply (no timeout, no close without an answer); neither gateway process
 *   exited, and `/healthz` answered 200 throughout.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BenchChild } from "../../bench/bench-ipc.js";
import { leanLoginCycle, type LeanLoginOutcome } from "../../client/lean-client.js";
import type { Profile } from "../../core/protocol/wire.js";
import { buildRtmToken } from "../../core/token/index.js";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import { errorCode } from "../../gateway/sessions/session-manager.js";
import { redisServerUnavailable, startOwnRedisServer, uniquePrefix, type OwnRedisServer } from "../support/redis.js";
import { CHAOS_SCALE } from "./support/chaos-config.js";

// This test stops and kills Redis, so it needs its own redis-server: skipped without the binary,
// a failure with CI=true.
const noServer = redisServerUnavailable();
if (noServer !== undefined) {
  if (process.env.CI === "true") throw new Error(`the Redis chaos test is required in CI (CI=true): ${noServer}`);
  console.warn(`[redis] skipping the Redis chaos test: ${noServer}`);
}

const STALENESS_S = 1;
const STALENESS_MS = STALENESS_S * 1000;
/** How long each outage lasts: past the staleness window (and its edge) by a second, to see it fail closed. */
const OUTAGE_MS = STALENESS_MS + 1_400;
/** Slack at the window boundaries (process scheduling, connection set-up of a login). */
const EDGE_MS = 400;
/** Healthy load before the first outage and after each recovery (the "while Redis is healthy" samples). */
const STEADY_MS = 500;
/** A login is started every this many ms on each gateway. */
const PACE_MS = 10;
/** How many times the three outages are run. */
const ROUNDS = Math.max(1, Math.round(CHAOS_SCALE));
const LOGIN_TIMEOUT_MS = 8_000;
const RECOVERY_LIMIT_MS = 10_000;
const CHILD = new URL("../../dist/bench/soak-gateway.js", import.meta.url);
const TOKEN_PROJECT = DEV_PROJECTS.find((p) => p.mode === "token")!;
const STORE_UNAVAILABLE: Record<Profile, { code: number; name: string }> = {
  rtm1: errorCode("rtm1", "login", "store_unavailable", false),
  rtm2: errorCode("rtm2", "login", "store_unavailable", false),
};

interface Gw {
  readonly name: string;
  readonly child: BenchChild;
  readonly url: string;
  readonly httpUrl: string;
  readonly pid: number;
}

interface Attempt {
  readonly gw: string;
  readonly profile: Profile;
  /** performance.now() when the login was started, and when its outcome came. */
  readonly startedAt: number;
  endedAt: number;
  outcome: LeanLoginOutcome | null;
}

interface Probe {
  readonly gw: string;
  readonly at: number;
  readonly ready: number;
  readonly healthy: number;
}

/** One outage, as the test saw it. */
interface Outage {
  readonly label: string;
  /** Last good contact (both gateways confirmed a write). */
  readonly tc: number;
  /** Outage begins / Redis is back (restart answered PING, or SIGCONT sent). */
  readonly t0: number;
  readonly t1: number;
  /** Both gateways accept logins and answer /readyz 200 again. */
  readonly tr: number;
}

describe.skipIf(noServer !== undefined)(`Redis chaos under login load (own redis-server, staleness ${STALENESS_S} s)`, () => {
  let redis: OwnRedisServer;
  const gws: Gw[] = [];
  const attempts: Attempt[] = [];
  const probes: Probe[] = [];
  let loadOn = true;
  let n = 0;

  beforeAll(async () => {
    if (!existsSync(CHILD)) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
    redis = await startOwnRedisServer();
    const config = {
      port: 0,
      host: "127.0.0.1",
      logLevel: "fatal",
      devSeed: true,
      journalSize: 0,
      redisUrl: redis.url,
      redisKeyPrefix: uniquePrefix("chaos").replace(/[^A-Za-z0-9:_.-]/g, "").slice(0, 60),
      redisMaxStalenessSeconds: STALENESS_S,
    };
    for (const name of ["gw1", "gw2"]) {
      const { child, ready } = await BenchChild.start(name, CHILD.href, [JSON.stringify(config)]);
      gws.push({ name, child, url: ready["url"] as string, httpUrl: ready["httpUrl"] as string, pid: ready["pid"] as number });
    }
  }, 60_000);

  afterAll(async () => {
    loadOn = false;
    for (const g of gws) await g.child.stop(5_000);
    await redis?.dispose();
  });

  /** Starts one login on `g` with a fresh uid and token; records its outcome. */
  function login(g: Gw): Promise<void> {
    const i = n++;
    const profile: Profile = i % 2 === 0 ? "rtm1" : "rtm2";
    const uid = `chaos${i}`;
    const token = buildRtmToken({ version: i % 3 === 0 ? "006" : "007", appId: TOKEN_PROJECT.appId, certificate: TOKEN_PROJECT.certificate!, uid, expireSeconds: 3600, issueTs: Math.floor(Date.now() / 1000), salt: i + 1 });
    const a: Attempt = { gw: g.name, profile, startedAt: performance.now(), endedAt: 0, outcome: null };
    attempts.push(a);
    return leanLoginCycle(g.url, JSON.stringify({ id: 1, op: "login", appId: TOKEN_PROJECT.appId, uid, token, profile }), LOGIN_TIMEOUT_MS).then((o) => {
      a.outcome = o;
      a.endedAt = performance.now();
    });
  }

  /** The load: one login per gateway every PACE_MS until stopped; resolves when all have answered. */
  async function runLoad(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (loadOn) {
      for (const g of gws) {
        const p = login(g);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((resolve) => setTimeout(resolve, PACE_MS));
    }
    await Promise.all(inFlight);
  }

  async function status(url: string): Promise<number> {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** /readyz and /healthz of each gateway every 100 ms. */
  async function runProbes(): Promise<void> {
    while (loadOn) {
      await Promise.all(
        gws.map(async (g) => {
          const at = performance.now();
          const [ready, healthy] = await Promise.all([status(`${g.httpUrl}/readyz`), status(`${g.httpUrl}/healthz`)]);
          probes.push({ gw: g.name, at, ready, healthy });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function adminJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(url, { ...init, headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  /**
   * A write on each gateway, each seen by the other: every connection of both gateways has just
   * heard from Redis, so the staleness window starts now. Returns that instant.
   */
  async function freshContact(): Promise<number> {
    for (const [writer, reader] of [
      [gws[0]!, gws[1]!],
      [gws[1]!, gws[0]!],
    ] as const) {
      const created = await adminJson(`${writer.httpUrl}/admin/projects`, { method: "POST", body: JSON.stringify({ mechanism: "appid" }) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const appId = created.body["appId"] as string;
      const deadline = performance.now() + 3_000;
      while ((await adminJson(`${reader.httpUrl}/admin/projects/${appId}`)).status !== 200) {
        if (performance.now() > deadline) throw new Error(`${reader.name} did not see ${appId}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    return performance.now();
  }

  /** Waits until every gateway answers /readyz 200 and has accepted a login started after `since`. */
  async function recovered(since: number): Promise<number> {
    const deadline = since + RECOVERY_LIMIT_MS;
    for (;;) {
      const ready = (await Promise.all(gws.map((g) => status(`${g.httpUrl}/readyz`)))).every((s) => s === 200);
      const accepted = gws.every((g) => attempts.some((a) => a.gw === g.name && a.startedAt > since && a.outcome?.ok === true));
      if (ready && accepted) return performance.now();
      if (performance.now() > deadline) throw new Error(`not recovered within ${RECOVERY_LIMIT_MS} ms after Redis came back`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it(
    "decides logins from the copy within the staleness window, then fails closed with store_unavailable, /readyz follows, and recovers; nothing unanswered, no crash",
    async () => {
      const load = runLoad();
      const probing = runProbes();
      const outages: Outage[] = [];
      try {
        await pause(STEADY_MS); // steady state first

        for (let round = 1; round <= ROUNDS; round++) {
          // 1. Frozen: SIGSTOP, then SIGCONT (the connections stay open, nothing answers).
          let tc = await freshContact();
          let t0 = performance.now();
          redis.pause();
          try {
            await pause(OUTAGE_MS);
          } finally {
            redis.resume();
          }
          let t1 = performance.now();
          outages.push({ label: "SIGSTOP/SIGCONT", tc, t0, t1, tr: await recovered(t1) });
          await pause(STEADY_MS);

          // 2. A clean stop (SHUTDOWN SAVE) and a restart on the same port.
          tc = await freshContact();
          t0 = performance.now();
          await redis.stop();
          await pause(Math.max(0, OUTAGE_MS - (performance.now() - t0)));
          await redis.start();
          t1 = performance.now();
          outages.push({ label: "stop/start", tc, t0, t1, tr: await recovered(t1) });
          await pause(STEADY_MS);

          // 3. A crash (SIGKILL) and a restart on the same port, from the data saved at the stop.
          tc = await freshContact();
          t0 = performance.now();
          await redis.kill();
          await pause(OUTAGE_MS);
          await redis.start();
          t1 = performance.now();
          outages.push({ label: "SIGKILL/start", tc, t0, t1, tr: await recovered(t1) });
          await pause(STEADY_MS);
        }
      } finally {
        loadOn = false;
        await load;
        await probing;
      }

      // ---- every login answered, only the two allowed outcomes ----
      const problems: string[] = [];
      const note = (p: string) => problems.length < 20 && problems.push(p);
      const within = (t: number, from: number, to: number) => t >= from && t <= to;
      const outcome = (a: Attempt) => (a.outcome?.ok === true ? "accepted" : a.outcome?.reason === "store_unavailable" ? "store_unavailable" : "other");
      for (const a of attempts) {
        const o = a.outcome!;
        if (!o.ok && o.reason !== "store_unavailable") note(`${a.gw} login at ${Math.round(a.startedAt)}: ${o.reason ?? "?"} (code ${o.code ?? "-"}) — neither accepted nor store_unavailable`);
        if (!o.ok && o.reason === "store_unavailable" && o.code !== STORE_UNAVAILABLE[a.profile].code) note(`${a.gw} ${a.profile} store_unavailable with code ${o.code}, expected ${STORE_UNAVAILABLE[a.profile].code}`);
      }

      // ---- per window ----
      const first = attempts[0]!.startedAt;
      const steady: Array<readonly [number, number]> = [];
      let from = first;
      for (const o of outages) {
        steady.push([from, o.tc]);
        from = o.tr + 200;
      }
      steady.push([from, Infinity]);
      const steadyAttempts = attempts.filter((a) => steady.some(([s, e]) => within(a.startedAt, s, e) && a.endedAt <= e));
      for (const a of steadyAttempts) if (outcome(a) !== "accepted") note(`${a.gw}: refused (${a.outcome?.reason}) while Redis was healthy, at ${Math.round(a.startedAt - first)} ms`);

      const report: string[] = [];
      for (const o of outages) {
        // From the outage until the window ends (counted from the last good contact): the copy decides.
        const fromCopy = attempts.filter((a) => a.startedAt >= o.t0 && a.endedAt <= o.tc + STALENESS_MS - EDGE_MS);
        // From the outage + the window until Redis is back: fail closed.
        const closed = attempts.filter((a) => a.startedAt >= o.t0 + STALENESS_MS + EDGE_MS && a.endedAt <= o.t1);
        for (const a of fromCopy) if (outcome(a) !== "accepted") note(`${o.label}: ${a.gw} refused (${a.outcome?.reason}) ${Math.round(a.startedAt - o.tc)} ms after the last contact, inside the staleness window`);
        for (const a of closed) if (outcome(a) !== "store_unavailable") note(`${o.label}: ${a.gw} ${outcome(a)} ${Math.round(a.startedAt - o.t0)} ms into the outage, past the staleness window`);
        const readyWhileClosed = probes.filter((p) => within(p.at, o.t0 + STALENESS_MS + EDGE_MS, o.t1 - 150));
        for (const p of readyWhileClosed) if (p.ready !== 503) note(`${o.label}: ${p.gw} /readyz ${p.ready} past the staleness window`);
        if (fromCopy.length < 20) note(`${o.label}: only ${fromCopy.length} logins inside the staleness window`);
        if (closed.length < 20) note(`${o.label}: only ${closed.length} logins past the staleness window`);
        if (readyWhileClosed.length < 4) note(`${o.label}: only ${readyWhileClosed.length} /readyz probes past the staleness window`);
        report.push(`${o.label}: ${fromCopy.length} from the copy, ${closed.length} store_unavailable, ${readyWhileClosed.length} /readyz 503, recovered in ${Math.round(o.tr - o.t1)} ms`);
      }
      for (const p of probes) {
        if (p.healthy !== 200) note(`${p.gw} /healthz ${p.healthy} at ${Math.round(p.at - first)} ms`);
        if (steady.some(([s, e]) => within(p.at, s, e - 300)) && p.ready !== 200) note(`${p.gw} /readyz ${p.ready} while Redis was healthy, at ${Math.round(p.at - first)} ms`);
      }
      console.log(`redis chaos: ${attempts.length} logins (${steadyAttempts.length} while healthy, all accepted); ${report.join("; ")}`);
      expect(problems).toEqual([]);

      // The gateways lived through all of it (the same processes, still answering) and still serve.
      for (const g of gws) {
        expect(() => process.kill(g.pid, 0), `${g.name} is gone`).not.toThrow();
        expect(await g.child.request({ type: "sample" }, 10_000)).toMatchObject({ connections: expect.any(Number) });
        expect(await status(`${g.httpUrl}/healthz`)).toBe(200);
        expect(await status(`${g.httpUrl}/readyz`)).toBe(200);
      }
    },
    30_000 + ROUNDS * 40_000,
  );
});
