/**
 * A holder process of the cluster memory benchmark (a child of cluster-memory-bench.ts): it mints
 * login frames for one token project and holds logged-in sessions open on several gateways, on
 * the lean raw-socket client (lean-ws-client.ts). One process stays under the open-file limit
 * (the orchestrator gives each at most memory-bench.ts' MAX_PER_HOLDER sessions). Requests:
 *
 *  - `mint {appId, certificate, count, prefix}`: one fresh 007 token per uid `<prefix><i>`;
 *  - `warm {ports, count}`: `count` login cycles (connect, login, close) per gateway, not held;
 *  - `hold {ports, concurrency}`: logs every minted frame in, round-robin over the gateways,
 *    `concurrency` at a time, and keeps the sockets open;
 *  - `stats`: held sockets still open, and those the server dropped;
 *  - `release`: closes every held socket (bounded wait, then destroys the rest).
 *
 * Every wait is bounded (a login gives up after `timeoutMs`). Only ever 127.0.0.1.
 */
import { randomInt } from "node:crypto";
import { buildRtmToken } from "../core/token/index.js";
import { serveChild, type Message } from "./bench-ipc.js";
import { LeanWsConnection, maskedTextFrame, upgradeRequest, type WsTarget } from "./lean-ws-client.js";

let frames: Buffer[] = [];
let appId = "";
let certificate = "";
const held: LeanWsConnection[] = [];

function num(m: Message, key: string, fallback?: number): number {
  const v = m[key];
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (fallback !== undefined) return fallback;
  throw new TypeError(`${m.type}: ${key} must be a number`);
}

function targets(m: Message): WsTarget[] {
  const ports = m["ports"];
  if (!Array.isArray(ports) || ports.length === 0) throw new TypeError(`${m.type}: ports must be a non-empty array`);
  return ports.map((port) => ({ host: "127.0.0.1", port: Number(port), path: "/rtm" }));
}

function loginFrame(uid: string, issueTs: number): Buffer {
  const token = buildRtmToken({ version: "007", appId, certificate, uid, expireSeconds: 7200, issueTs, salt: randomInt(1, 2 ** 32 - 1) });
  return maskedTextFrame(JSON.stringify({ id: 1, op: "login", appId, uid, token, profile: "rtm1" }));
}

function mint(m: Message): Record<string, unknown> {
  appId = String(m["appId"]);
  certificate = String(m["certificate"]);
  const count = num(m, "count");
  const prefix = String(m["prefix"] ?? "hold-");
  const started = performance.now();
  const issueTs = Math.floor(Date.now() / 1000);
  frames = Array.from({ length: count }, (_, i) => loginFrame(`${prefix}${i}`, issueTs));
  return { count, ms: performance.now() - started };
}

/** Opens `jobs` connections, `concurrency` at a time; resolves with the counts. */
function open(jobs: readonly { target: WsTarget; frame: Buffer }[], hold: boolean, concurrency: number, timeoutMs: number): Promise<{ opened: number; failed: number; firstError: string | null; ms: number }> {
  const requests = new Map<WsTarget, Buffer>();
  const started = performance.now();
  return new Promise((resolve) => {
    let next = 0;
    let opened = 0;
    let failed = 0;
    let firstError: string | null = null;
    const inFlight = new Set<LeanWsConnection>();
    const done = (): void => {
      clearInterval(sweeper);
      resolve({ opened, failed, firstError, ms: performance.now() - started });
    };
    const start = (): void => {
      if (next >= jobs.length) return;
      const job = jobs[next++]!;
      let request = requests.get(job.target);
      if (request === undefined) requests.set(job.target, (request = upgradeRequest(job.target)));
      inFlight.add(
        new LeanWsConnection(job.target, request, job.frame, hold, (conn, ok, detail) => {
          inFlight.delete(conn);
          if (ok) {
            opened++;
            if (hold) held.push(conn);
          } else {
            failed++;
            firstError ??= detail;
          }
          start();
          if (inFlight.size === 0 && next >= jobs.length) done();
        }),
      );
    };
    const sweeper = setInterval(() => {
      const limit = process.hrtime.bigint() - BigInt(timeoutMs) * 1_000_000n;
      for (const c of [...inFlight]) if (c.startNs < limit) c.abort(`no reply within ${timeoutMs} ms`);
    }, 250);
    if (jobs.length === 0) done();
    for (let i = 0; i < Math.min(concurrency, jobs.length); i++) start();
  });
}

async function warm(m: Message): Promise<Record<string, unknown>> {
  const ts = targets(m);
  const count = num(m, "count");
  const issueTs = Math.floor(Date.now() / 1000);
  const jobs = ts.flatMap((target, g) => Array.from({ length: count }, (_, i) => ({ target, frame: loginFrame(`warm-${process.pid}-${g}-${i}`, issueTs) })));
  return await open(jobs, false, 32, num(m, "timeoutMs", 20_000));
}

async function hold(m: Message): Promise<Record<string, unknown>> {
  const ts = targets(m);
  const jobs = frames.map((frame, i) => ({ target: ts[i % ts.length]!, frame }));
  return { ...(await open(jobs, true, num(m, "concurrency", 128), num(m, "timeoutMs", 30_000))), held: held.length };
}

function stats(): Record<string, unknown> {
  let alive = 0;
  let dropped = 0;
  for (const c of held) {
    if (c.dropped) dropped++;
    else if (!c.socket.destroyed) alive++;
  }
  return { held: held.length, alive, dropped };
}

async function release(): Promise<Record<string, unknown>> {
  const before = stats();
  for (const c of held) c.close();
  for (let i = 0; i < 100 && !held.every((c) => c.socket.destroyed); i++) await new Promise((r) => setTimeout(r, 100));
  let forced = 0;
  for (const c of held) {
    if (!c.socket.destroyed) {
      forced++;
      c.socket.destroy();
    }
  }
  held.length = 0;
  return { ...before, forced };
}

serveChild({ mint, warm, hold, stats, release }, { pid: process.pid }, () => {
  for (const c of held) c.socket.destroy();
});
