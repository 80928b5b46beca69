/**
 * The graceful drain (docs/robustness.md): `rtm-auth serve` gets SIGTERM under login load, with
 * stubborn peers that never answer a close frame, well-behaved clients, and an admin request in
 * flight. In order: `/readyz` turns 503 at once; new upgrades and admin requests are refused
 * (503); the admin request in flight finishes and gets its reply; every session gets close 4002;
 * what remains after DRAIN_SECONDS is destroyed; the process exits 0 within the drain time.
 * Every login attempt of the load has an outcome: a reply, close 4002, a refused upgrade, or a
 * refused connection once the process is gone. None is left hanging.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { expect, it } from "vitest";
import WebSocket from "ws";
import { AbuseClient } from "./support/abuse-client.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const DRAIN_SECONDS = 2;
const APP = "a1000000000000000000000000000001"; // the dev seed's App ID project
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Outcome = "logged_in" | "closed_4002" | "refused_upgrade" | "connection_refused" | "other_close" | "timeout";

/** One login through the ws library (it answers close frames); resolves with its outcome. */
function loginAttempt(url: string, uid: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
      ws.terminate();
    };
    const timer = setTimeout(() => finish("timeout"), 5_000);
    const ws = new WebSocket(url);
    ws.on("open", () => ws.send(JSON.stringify({ id: 1, op: "login", appId: APP, uid })));
    ws.on("message", (d) => {
      if (String(d).startsWith('{"id":1,"ok":true')) finish("logged_in");
    });
    ws.on("unexpected-response", (_req, res) => finish(res.statusCode === 503 ? "refused_upgrade" : "other_close"));
    ws.on("close", (code) => finish(code === 4002 ? "closed_4002" : "other_close"));
    ws.on("error", (err: NodeJS.ErrnoException) => finish(err.code === "ECONNREFUSED" || err.code === "ECONNRESET" ? "connection_refused" : "other_close"));
  });
}

it("SIGTERM under load with stubborn peers: readiness off at once, in-flight admin finished, 4002 to all, exit 0 within DRAIN_SECONDS", async () => {
  const server: ChildProcess = spawn(process.execPath, [BIN, "serve", "--port", "0", "--json"], {
    env: { ...process.env, LOG_LEVEL: "silent", DRAIN_SECONDS: String(DRAIN_SECONDS), CLOSE_TIMEOUT_MS: "30000", CALLS_PER_SECOND: "100" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => server.once("exit", (code) => resolve({ code, at: performance.now() })));
  const summary = await new Promise<{ url: string; http: string }>((resolve, reject) => {
    let out = "";
    server.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"sampleToken"'));
      if (line !== undefined) resolve(JSON.parse(line));
    });
    void exited.then(({ code }) => reject(new Error(`serve exited with ${code}`)));
  });
  const port = Number(new URL(summary.http).port);

  // Stubborn peers: logged in, then they never read, never answer a close frame, never send a FIN.
  const stubborn: AbuseClient[] = [];
  for (let i = 0; i < 20; i++) {
    const u = await AbuseClient.open(port);
    if (u.kind !== "open") throw new Error("upgrade failed");
    u.ws.send(JSON.stringify({ id: 1, op: "login", appId: APP, uid: `stubborn-${i}` }));
    expect(await u.ws.until((t) => t.startsWith('{"id":1,'))).toContain('"ok":true');
    stubborn.push(u.ws);
  }
  // Well-behaved sessions (the ws library answers the close frame).
  const polite = await Promise.all(
    Array.from({ length: 20 }, (_, i) => new Promise<{ closeCode: Promise<number> }>((resolve, reject) => {
      const ws = new WebSocket(summary.url);
      const closeCode = new Promise<number>((r) => ws.once("close", (code) => r(code)));
      ws.on("open", () => ws.send(JSON.stringify({ id: 1, op: "login", appId: APP, uid: `polite-${i}` })));
      ws.once("message", () => resolve({ closeCode }));
      ws.on("error", reject);
    })),
  );

  // Login load: a bounded loop of attempts that keeps going through the drain and the exit.
  const outcomes: Outcome[] = [];
  let loading = true;
  const load = Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; loading && i < 2_000; i++) {
        outcomes.push(await loginAttempt(summary.url, `load-${w}-${i}`));
        if (outcomes[outcomes.length - 1] === "connection_refused") await sleep(20);
      }
    }),
  );
  await sleep(500);

  // An admin request in flight: headers and half the body now, the rest after the signal.
  const body = JSON.stringify({ mechanism: "appid" });
  const admin = connect({ host: "127.0.0.1", port });
  let adminReply = "";
  admin.on("data", (d: Buffer) => (adminReply += d.toString("latin1")));
  admin.on("error", () => undefined);
  admin.write(`POST /admin/projects HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
  await sleep(100);

  const t0 = performance.now();
  server.kill("SIGTERM");
  await sleep(100);
  // Readiness is off at once; health still answers; new admin requests and upgrades are refused.
  const ready = await fetch(`${summary.http}/readyz`);
  expect(ready.status).toBe(503);
  expect((await fetch(`${summary.http}/healthz`)).status).toBe(200);
  const late = await fetch(`${summary.http}/admin/projects`, { method: "POST", headers: { "content-type": "application/json" }, body });
  expect(late.status).toBe(503);
  expect(((await late.json()) as { error: { code: string } }).error.code).toBe("draining");
  const upgrade = await AbuseClient.open(port);
  expect(upgrade.kind === "refused" ? upgrade.statusLine : upgrade.kind).toBe("HTTP/1.1 503 Service Unavailable");
  // The admin request in flight finishes and gets its reply.
  admin.write(body.slice(5));
  await sleep(300);
  expect(adminReply).toMatch(/^HTTP\/1\.1 201 /);

  const exit = await exited;
  loading = false;
  await load;
  const elapsed = exit.at - t0;
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  console.log(`sigterm: exit ${exit.code} after ${Math.round(elapsed)} ms; load outcomes ${JSON.stringify(counts)}`);
  expect(exit.code).toBe(0);
  expect(elapsed).toBeLessThan(DRAIN_SECONDS * 1000 + 1_500);
  // Every session got 4002: the polite ones saw it as their close code, the stubborn ones as a close frame.
  for (const p of polite) expect(await p.closeCode).toBe(4002);
  for (const s of stubborn) {
    await s.released;
    expect(s.closeCode).toBe(4002);
  }
  expect(counts["timeout"] ?? 0).toBe(0);
  expect(counts["other_close"] ?? 0).toBe(0);
  expect(counts["logged_in"] ?? 0).toBeGreaterThan(0);
  for (const s of stubborn) s.socket.destroy();
}, 60_000);
