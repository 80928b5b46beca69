/**
 * The load process of the gateway benchmark (a child of gateway-bench.ts), on the lean raw-socket
 * client of lean-ws-client.ts. The same process and the same frames drive the bare `ws` server
 * and the gateway. Requests:
 *
 *  - `mint {count, prefix, append, version}`: builds `count` login frames, one fresh token per
 *    distinct uid (`<prefix><i>`) for the dev seed's token-only project, each pre-masked; with
 *    `append` they are added to the pool (the orchestrator tops the pool up between runs). Never
 *    during a run. `version` "007" (default) or "006": each version has a pool (and a cursor) of
 *    its own, and `run`, `hold` and `rewind` take the same `version` to choose it.
 *  - `run {port, path, concurrency, warmupMs, durationMs | maxCycles, advance, rate}`: a closed loop of
 *    `concurrency` cycles in flight (with `rate` > 0 an open loop instead: cycles start at `rate` per
 *    second whatever the server's pace, at most `concurrency` in flight, the rest counted as `shed`), each connect → upgrade → send one login frame → reply with
 *    id 1 → close frame + end. After `warmupMs` it notifies `window-start`, after `durationMs`
 *    more `window-end` (the orchestrator relays both to the server process, which measures its
 *    CPU time over the same window), then drains the cycles in flight and replies with the
 *    counts, latencies (process.hrtime) and this process's own CPU time over the window.
 *    With `advance` the frames are taken from a cursor kept across runs (every gateway login uses
 *    a uid never used before, until the pool wraps); without it from the pool's start.
 *    `rewind` moves that cursor back to the start (for a fresh server process).
 *    With `tag`, both notices carry it: several runs (one per server) may then go on at once, in
 *    the same window (bench:gateway --same-window).
 *  - `hold {port, path, count, concurrency}`: opens `count` connections, each logged in (or
 *    answered) once, and keeps them open; `release` closes them all; `stats` counts them.
 *
 * Every loop is bounded: runs stop at their deadline or cycle count, each cycle times out after
 * `timeoutMs`, and the drain is cut off after that too.
 */
import { randomInt } from "node:crypto";
import { buildRtmToken } from "../core/token/index.js";
import { DEV_PROJECTS } from "../gateway/dev-seed.js";
import { notifyParent, serveChild, type Message } from "./bench-ipc.js";
import { LeanWsConnection, maskedTextFrame, upgradeRequest, type ReplyListener, type WsTarget } from "./lean-ws-client.js";

const TOKEN_PROJECT = DEV_PROJECTS.find((p) => p.mode === "token");
if (TOKEN_PROJECT === undefined || TOKEN_PROJECT.certificate === null) throw new Error("the dev seed has no token-only project");
const APP_ID = TOKEN_PROJECT.appId;
const CERTIFICATE = TOKEN_PROJECT.certificate;

/** The login frames of one token version, and the cursor `advance` runs take them from. */
interface Pool {
  frames: Buffer[];
  cursor: number;
  wraps: number;
}
const pools: Record<"006" | "007", Pool> = { "006": { frames: [], cursor: 0, wraps: 0 }, "007": { frames: [], cursor: 0, wraps: 0 } };
function poolOf(m: Message): Pool {
  return pools[m["version"] === "006" ? "006" : "007"];
}
const held: LeanWsConnection[] = [];

function num(m: Message, key: string, fallback?: number): number {
  const v = m[key];
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (fallback !== undefined) return fallback;
  throw new TypeError(`${m.type}: ${key} must be a number`);
}

function target(m: Message): WsTarget {
  return { host: "127.0.0.1", port: num(m, "port"), path: typeof m["path"] === "string" ? m["path"] : "/rtm" };
}

function mint(m: Message): Record<string, unknown> {
  const pool = poolOf(m);
  const version = m["version"] === "006" ? "006" : "007";
  const count = num(m, "count");
  const prefix = typeof m["prefix"] === "string" ? m["prefix"] : "bench-";
  const append = m["append"] === true;
  const started = performance.now();
  const issueTs = Math.floor(Date.now() / 1000);
  const first = append ? pool.frames.length : 0;
  const out: Buffer[] = new Array<Buffer>(count);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const uid = `${prefix}${first + i}`;
    const token = buildRtmToken({ version, appId: APP_ID, certificate: CERTIFICATE, uid, expireSeconds: 3600, issueTs, salt: randomInt(1, 2 ** 32 - 1) });
    const frame = maskedTextFrame(JSON.stringify({ id: 1, op: "login", appId: APP_ID, uid, token, profile: "rtm1" }));
    bytes += frame.length;
    out[i] = frame;
  }
  if (append) {
    for (const f of out) pool.frames.push(f);
  } else {
    pool.frames = out;
    pool.cursor = 0;
    pool.wraps = 0;
  }
  return { count, pool: pool.frames.length, unused: pool.frames.length - pool.cursor, ms: performance.now() - started, meanFrameBytes: count === 0 ? 0 : bytes / count };
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function run(m: Message): Promise<Record<string, unknown>> {
  const pool = poolOf(m);
  const frames = pool.frames;
  if (frames.length === 0) throw new Error("run before mint");
  const tgt = target(m);
  const request = upgradeRequest(tgt);
  const concurrency = num(m, "concurrency");
  const warmupMs = num(m, "warmupMs", 0);
  const durationMs = num(m, "durationMs");
  const maxCycles = num(m, "maxCycles", Number.POSITIVE_INFINITY);
  const timeoutMs = num(m, "timeoutMs", 10_000);
  const advance = m["advance"] === true;
  /** Open loop: cycles start at this fixed rate (per second), at most `concurrency` in flight; 0: closed loop. */
  const rate = num(m, "rate", 0);
  /** Names this run in its window-start/-end notices (several runs may share the process at once). */
  const tag = typeof m["tag"] === "string" ? m["tag"] : null;
  let local = 0;
  const wrapsBefore = pool.wraps;

  return new Promise((resolve) => {
    let phase = 0; // 0 warm-up, 1 measured window, 2 draining
    let started = 0;
    let total = 0;
    let okTotal = 0;
    let errors = 0;
    let firstError: string | null = null;
    let windowOk = 0;
    let windowErrors = 0;
    let lat = new Float64Array(65536);
    let windowStartNs = 0n;
    let windowEndNs = 0n;
    let cpu0 = process.cpuUsage();
    let elu0 = performance.eventLoopUtilization();
    let clientCpuUs = 0;
    let clientElu = 0;
    const inFlight = new Set<LeanWsConnection>();
    /** Open loop: cycles due in the measured window but not started because `concurrency` were in flight. */
    let shed = 0;

    const next = (): void => {
      if (phase === 2 || started >= maxCycles) return;
      started++;
      let frame: Buffer;
      if (advance) {
        frame = frames[pool.cursor]!;
        if (++pool.cursor === frames.length) {
          pool.cursor = 0;
          pool.wraps++;
        }
      } else {
        frame = frames[local % frames.length]!;
        local++;
      }
      inFlight.add(new LeanWsConnection(tgt, request, frame, false, onReply));
    };

    const onReply: ReplyListener = (conn, ok, detail, replyNs) => {
      inFlight.delete(conn);
      total++;
      if (ok) okTotal++;
      else {
        errors++;
        firstError ??= detail;
      }
      if (phase === 1) {
        if (ok) {
          if (windowOk === lat.length) {
            const bigger = new Float64Array(lat.length * 2);
            bigger.set(lat);
            lat = bigger;
          }
          lat[windowOk++] = Number(replyNs - conn.startNs) / 1e3; // µs
        } else windowErrors++;
      }
      if (phase === 2 && inFlight.size === 0) finish();
      else if (rate === 0) next();
      if (started >= maxCycles && inFlight.size === 0 && phase !== 2) endWindow();
    };

    const startWindow = (): void => {
      if (phase !== 0) return;
      phase = 1;
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
      windowStartNs = process.hrtime.bigint();
      notifyParent({ type: "window-start", tag });
    };
    const endWindow = (): void => {
      if (phase === 2) return;
      if (phase === 0) startWindow();
      phase = 2;
      windowEndNs = process.hrtime.bigint();
      const cpu = process.cpuUsage(cpu0);
      clientCpuUs = cpu.user + cpu.system;
      clientElu = performance.eventLoopUtilization(elu0).utilization;
      notifyParent({ type: "window-end", tag });
      clearTimeout(warmTimer);
      clearTimeout(endTimer);
      if (pacer !== undefined) clearInterval(pacer);
      if (inFlight.size === 0) finish();
      else hardStop = setTimeout(() => {
        for (const c of [...inFlight]) c.abort("drain timeout");
      }, timeoutMs);
    };
    let hardStop: NodeJS.Timeout | undefined;
    const warmTimer = setTimeout(startWindow, warmupMs);
    const endTimer = setTimeout(endWindow, warmupMs + durationMs);
    const sweeper = setInterval(() => {
      const limit = process.hrtime.bigint() - BigInt(timeoutMs) * 1_000_000n;
      for (const c of [...inFlight]) if (c.startNs < limit) c.abort(`no reply within ${timeoutMs} ms`);
    }, 250);

    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(sweeper);
      clearTimeout(hardStop);
      const windowMs = Number(windowEndNs - windowStartNs) / 1e6;
      const sorted = lat.slice(0, windowOk).sort();
      let sum = 0;
      for (const v of sorted) sum += v;
      resolve({
        windowMs,
        windowOk,
        windowErrors,
        rate: windowOk / (windowMs / 1000),
        p50Ms: percentile(sorted, 0.5) / 1e3,
        p90Ms: percentile(sorted, 0.9) / 1e3,
        p99Ms: percentile(sorted, 0.99) / 1e3,
        maxMs: percentile(sorted, 1) / 1e3,
        meanMs: windowOk === 0 ? Number.NaN : sum / windowOk / 1e3,
        total,
        okTotal,
        errors,
        firstError,
        clientCpuUs,
        clientElu,
        shed,
        poolWrapped: pool.wraps > wrapsBefore,
        unused: frames.length - pool.cursor,
      });
    };

    let pacer: NodeJS.Timeout | undefined;
    if (rate > 0) {
      // Every millisecond, start the cycles due by now at `rate`; those beyond `concurrency` in flight are shed.
      const t0 = performance.now();
      let due = 0;
      pacer = setInterval(() => {
        const target = Math.floor(((performance.now() - t0) * rate) / 1000);
        for (; due < target; due++) {
          if (inFlight.size < concurrency) next();
          else if (phase === 1) shed++; // counted in the measured window only
        }
      }, 1);
    } else for (let i = 0; i < concurrency; i++) next();
  });
}

function hold(m: Message): Promise<Record<string, unknown>> {
  const pool = poolOf(m);
  const frames = pool.frames;
  if (frames.length === 0) throw new Error("hold before mint");
  const tgt = target(m);
  const request = upgradeRequest(tgt);
  const count = num(m, "count");
  const concurrency = num(m, "concurrency", 128);
  const timeoutMs = num(m, "timeoutMs", 20_000);
  if (pool.cursor + count > frames.length) throw new Error(`hold ${count}: only ${frames.length - pool.cursor} unused frames left`);
  const startedAt = performance.now();
  return new Promise((resolve) => {
    let started = 0;
    let opened = 0;
    let failed = 0;
    let firstError: string | null = null;
    const inFlight = new Set<LeanWsConnection>();
    const next = (): void => {
      if (started >= count) return;
      started++;
      const frame = frames[pool.cursor++]!;
      inFlight.add(new LeanWsConnection(tgt, request, frame, true, onReply));
    };
    const onReply: ReplyListener = (conn, ok, detail) => {
      inFlight.delete(conn);
      if (ok) {
        opened++;
        held.push(conn);
      } else {
        failed++;
        firstError ??= detail;
      }
      next();
      if (inFlight.size === 0) {
        clearInterval(sweeper);
        resolve({ opened, failed, firstError, ms: performance.now() - startedAt, held: held.length });
      }
    };
    const sweeper = setInterval(() => {
      const limit = process.hrtime.bigint() - BigInt(timeoutMs) * 1_000_000n;
      for (const c of [...inFlight]) if (c.startNs < limit) c.abort(`no reply within ${timeoutMs} ms`);
    }, 250);
    for (let i = 0; i < Math.min(concurrency, count); i++) next();
    if (count === 0) {
      clearInterval(sweeper);
      resolve({ opened: 0, failed: 0, firstError: null, ms: 0, held: held.length });
    }
  });
}

function heldStats(): { held: number; alive: number; dropped: number } {
  let alive = 0;
  let dropped = 0;
  for (const c of held) {
    if (c.dropped) dropped++;
    else if (!c.socket.destroyed) alive++;
  }
  return { held: held.length, alive, dropped };
}

async function release(): Promise<Record<string, unknown>> {
  const before = heldStats();
  const startedAt = performance.now();
  for (const c of held) c.close();
  // Wait (bounded) until the server has closed its side of every socket.
  for (let i = 0; i < 100; i++) {
    if (held.every((c) => c.socket.destroyed)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  let forced = 0;
  for (const c of held) {
    if (!c.socket.destroyed) {
      forced++;
      c.socket.destroy();
    }
  }
  held.length = 0;
  return { ...before, forced, ms: performance.now() - startedAt };
}

serveChild(
  {
    mint,
    run,
    hold,
    release,
    rewind: (m: Message) => {
      const pool = poolOf(m);
      pool.cursor = 0;
      return { count: pool.frames.length };
    },
    stats: () => heldStats(),
  },
  { pid: process.pid },
  async () => {
    for (const c of held) c.socket.destroy();
  },
);
