/**
 * No retention (issue "hold under abuse", docs/robustness.md): 50,000 login → logout → close
 * cycles with 24-hour 007 tokens against a gateway in its own process. Afterwards the heap,
 * after a forced GC, is within a few MiB of where it was after a warm-up, and the session
 * manager holds nothing: no connection, no session, no token timer, no login deadline.
 *
 * Before the fix every closed, logged-in connection stayed in the expiry scheduler until its
 * token would have expired (24 h), and in the deadline queue for 15 s: about 4.6 KB per login.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildRtmToken } from "../../core/token/index.js";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import type { BenchChild } from "../../bench/bench-ipc.js";
import { scaled } from "./support/chaos-config.js";
import { startGatewayChild, type Sample } from "./support/gateway-child.js";
import { AbuseClient, CLOSE_1000 } from "./support/abuse-client.js";

const CYCLES = scaled(50_000);
const WARMUP = 3_000;
const WORKERS = 32;
/** Heap growth allowed after the churn, bytes (a few MiB: V8's own caches, code, ICs). */
const MAX_HEAP_GROWTH = 4 * 1024 * 1024;
const project = DEV_PROJECTS.find((p) => p.mode === "token")!;

let gw: { child: BenchChild; port: number };

beforeAll(async () => {
  // The journal keeps its bounded ring: the warm-up fills it, so it is not mistaken for growth.
  gw = await startGatewayChild({ journalSize: 1_000 });
}, 30_000);
afterAll(async () => {
  await gw?.child.stop();
});

const sample = async (): Promise<Sample> => (await gw.child.request({ type: "sample" })) as unknown as Sample;

/** One cycle: upgrade, login with the worker's token, logout, close; resolves when the socket is gone. */
async function cycle(uid: string, token: string): Promise<void> {
  const u = await AbuseClient.open(gw.port);
  if (u.kind !== "open") throw new Error(`upgrade: ${u.kind === "refused" ? u.statusLine : u.error}`);
  const ws = u.ws;
  const login = ws.until((t) => t.startsWith('{"id":1,'));
  ws.send(`{"id":1,"op":"login","appId":"${project.appId}","uid":"${uid}","token":"${token}"}`);
  const reply = await login;
  if (!reply.startsWith('{"id":1,"ok":true')) throw new Error(`login refused: ${reply}`);
  const logout = ws.until((t) => t.startsWith('{"id":2,'));
  ws.send('{"id":2,"op":"logout"}');
  await logout;
  ws.socket.end(CLOSE_1000); // close 1000, then FIN
  await ws.closed;
}

async function churn(cycles: number): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      const uid = `churn-${w}`;
      const token = buildRtmToken({ version: "007", appId: project.appId, certificate: project.certificate!, uid, expireSeconds: 86_400, issueTs: now, salt: w + 1 });
      while (next < cycles) {
        next++;
        await cycle(uid, token);
      }
    }),
  );
}

it(`${CYCLES} login → logout → close cycles with 24 h tokens leave nothing behind`, async () => {
  await churn(WARMUP);
  const before = await sample();
  const t0 = performance.now();
  await churn(CYCLES);
  const seconds = (performance.now() - t0) / 1000;
  // The last sockets may still be closing on the gateway's side when ours are gone.
  let after = await sample();
  for (let i = 0; i < 20 && after.retained.connections > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await sample();
  }
  const growth = after.heapUsed - before.heapUsed;
  console.log(
    `churn: ${CYCLES} cycles in ${seconds.toFixed(1)} s (${Math.round(CYCLES / seconds)}/s); heap after GC ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB; RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB`,
  );
  expect(after.gc).toBe(true);
  expect(after.retained).toEqual({ connections: 0, sessions: 0, timers: 0, deadlines: 0, heldConnections: 0 });
  expect(growth).toBeLessThan(MAX_HEAP_GROWTH);
}, 240_000);
