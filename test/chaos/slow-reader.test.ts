/**
 * Backpressure (docs/robustness.md): a client that floods requests and never reads its socket
 * cannot grow the gateway's memory past MAX_BUFFERED_BYTES plus a small constant; the gateway
 * stops reading it instead, and every request is still answered once the client reads again.
 * The ping budget and the bound on requests waiting behind a delay pause reading the same way.
 *
 * Before the fix one such connection took RSS from 89 to 482 MiB, and a gateway with a 256 MiB
 * heap died of out-of-memory after 1M pings. This gateway runs with that heap limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchChild } from "../../bench/bench-ipc.js";
import { startGatewayChild, type Sample } from "./support/gateway-child.js";
import { AbuseClient, maskedTextFrame } from "./support/abuse-client.js";

const MiB = 2 ** 20;
const FLOOD_MS = 5_000;
const MAX_PINGS = 1_000_000;
/** Memory the gateway may gain while flooded: the bound (64 KiB) plus a small constant. */
const MAX_RSS_GROWTH = 32 * MiB;
const MAX_BUFFER_GROWTH = 4 * MiB;

let gw: { child: BenchChild; port: number; httpUrl: string };

beforeAll(async () => {
  // The ping budget is set out of the way here, so that the write-buffer bound is what holds.
  gw = await startGatewayChild({ pingsPerSecond: 100_000, maxPendingRequests: 8, loginDeadlineSeconds: 60 }, ["--max-old-space-size=256"]);
}, 30_000);
afterAll(async () => {
  await gw?.child.stop();
});

const sample = async (): Promise<Sample> => (await gw.child.request({ type: "sample" })) as unknown as Sample;

async function metric(name: string, label: string): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${label}}`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function open(): Promise<AbuseClient> {
  const u = await AbuseClient.open(gw.port, { keepTexts: false });
  if (u.kind !== "open") throw new Error(`upgrade: ${u.kind === "refused" ? u.statusLine : u.error}`);
  return u.ws;
}

/** Writes pings in batches until `FLOOD_MS` passed, MAX_PINGS were written, or writes stalled for a second. */
async function flood(ws: AbuseClient): Promise<number> {
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => maskedTextFrame('{"id":7,"op":"ping"}')));
  const end = performance.now() + FLOOD_MS;
  let sent = 0;
  while (sent < MAX_PINGS && performance.now() < end) {
    sent += 1000;
    if (!ws.socket.write(batch)) {
      const drained = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 1_000);
        ws.socket.once("drain", () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      if (!drained) break; // the gateway stopped reading us: backpressure reached the client
    }
  }
  return sent;
}

describe("a client that floods pings and never reads", () => {
  it("is paused at MAX_BUFFERED_BYTES; gateway memory stays flat; every ping is answered once it reads", async () => {
    const before = await sample();
    const pausesBefore = await metric("rtm_auth_backpressure_pauses_total", 'reason="write_buffer"');
    const ws = await open();
    ws.socket.pause(); // never read
    const sent = await flood(ws);
    const during = await sample();
    const pauses = (await metric("rtm_auth_backpressure_pauses_total", 'reason="write_buffer"')) - pausesBefore;
    console.log(
      `slow reader: ${sent} pings written; gateway RSS ${(before.rss / MiB).toFixed(0)} → ${(during.rss / MiB).toFixed(0)} MiB, heap ${(before.heapUsed / MiB).toFixed(1)} → ${(during.heapUsed / MiB).toFixed(1)} MiB, buffers ${(before.arrayBuffers / MiB).toFixed(1)} → ${(during.arrayBuffers / MiB).toFixed(1)} MiB; write_buffer pauses ${pauses}`,
    );
    expect(pauses).toBeGreaterThanOrEqual(1);
    expect(during.rss - before.rss).toBeLessThan(MAX_RSS_GROWTH);
    expect(during.arrayBuffers - before.arrayBuffers).toBeLessThan(MAX_BUFFER_GROWTH);
    expect(during.heapUsed - before.heapUsed).toBeLessThan(MAX_BUFFER_GROWTH);
    expect(ws.closedAt).toBeNull();

    // Now read: every ping written gets its reply, in order, and the connection stays usable.
    ws.socket.resume();
    const deadline = performance.now() + 60_000;
    while (ws.textCount < sent && performance.now() < deadline && ws.closedAt === null) await new Promise((r) => setTimeout(r, 50));
    expect(ws.textCount).toBe(sent);
    ws.socket.destroy();
  }, 120_000);
});

describe("the ping budget", () => {
  it("answers pings past PINGS_PER_SECOND, then stops reading until the budget has refilled", async () => {
    const budgetGw = await startGatewayChild({ pingsPerSecond: 50 });
    try {
      const u = await AbuseClient.open(budgetGw.port);
      if (u.kind !== "open") throw new Error("upgrade failed");
      const ws = u.ws;
      // 150 pings at once: 100 over a budget of 50 per second, so about 2 s without reading.
      ws.socket.write(Buffer.concat(Array.from({ length: 150 }, (_, i) => maskedTextFrame(`{"id":${i + 1},"op":"ping"}`))));
      for (let i = 1; i <= 150; i++) expect(JSON.parse(await ws.next())).toMatchObject({ id: i, ok: true, op: "ping" });
      const t0 = performance.now();
      ws.send('{"id":151,"op":"ping"}');
      expect(JSON.parse(await ws.next(10_000))).toMatchObject({ id: 151, ok: true, op: "ping" });
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThan(1_000);
      const text = await (await fetch(`${budgetGw.httpUrl}/metrics`)).text();
      expect(text).toMatch(/rtm_auth_backpressure_pauses_total\{reason="ping_budget"\} [1-9]/);
      expect(ws.closedAt).toBeNull();
      ws.socket.destroy();
    } finally {
      await budgetGw.child.stop();
    }
  }, 30_000);
});

describe("requests waiting behind a delayed login", () => {
  it("at MAX_PENDING_REQUESTS the gateway stops reading; all are answered, in order, when the delay ends", async () => {
    const put = await fetch(`${gw.httpUrl}/admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ op: "login", uid: "held", count: 1, action: { type: "delay", ms: 1_500 } }),
    });
    expect(put.status).toBe(201);
    const pausesBefore = await metric("rtm_auth_backpressure_pauses_total", 'reason="pending_requests"');
    const u = await AbuseClient.open(gw.port);
    if (u.kind !== "open") throw new Error("upgrade failed");
    const ws = u.ws;
    ws.send('{"id":1,"op":"login","appId":"a1000000000000000000000000000001","uid":"held","profile":"rtm2"}');
    ws.socket.write(Buffer.concat(Array.from({ length: 40 }, (_, i) => maskedTextFrame(`{"id":${i + 2},"op":"ping"}`))));
    const replies: number[] = [];
    const deadline = performance.now() + 10_000;
    while (replies.length < 41 && performance.now() < deadline) {
      const t = JSON.parse(await ws.next(10_000)) as { id?: number; ok?: boolean };
      if (typeof t.id === "number") {
        expect(t.ok).toBe(true);
        replies.push(t.id);
      }
    }
    expect(replies).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect((await metric("rtm_auth_backpressure_pauses_total", 'reason="pending_requests"')) - pausesBefore).toBeGreaterThanOrEqual(1);
    ws.socket.destroy();
  }, 30_000);
});
