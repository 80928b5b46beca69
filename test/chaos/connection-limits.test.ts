/**
 * Connection accounting under abuse (docs/robustness.md): every socket counts against
 * MAX_CONNECTIONS until its descriptor is released; a closing socket whose peer never answers is
 * destroyed after CLOSE_TIMEOUT_MS; slow headers and slow bodies are cut after
 * HTTP_REQUEST_TIMEOUT_SECONDS; `/healthz`, `/readyz` and `/metrics` stay answerable at the
 * WebSocket limit (HTTP_RESERVE_CONNECTIONS).
 *
 * Before the fix, with MAX_CONNECTIONS=100, 1,500 of 1,500 upgrades were accepted by a flood of
 * peers that never answer the close frame, and the gateway ran out of descriptors.
 */
import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BenchChild } from "../../bench/bench-ipc.js";
import { AbuseClient, maskedFrame } from "./support/abuse-client.js";
import { startGatewayChild } from "./support/gateway-child.js";

const MAX_CONNECTIONS = 100;
const RESERVE = 16;
const CLOSE_TIMEOUT_MS = 500;
const ATTEMPTS = 1_500;
/** A refused or dropped flooder tries again after this: the 1,500 attempts then span several close timeouts. */
const RETRY_MS = CLOSE_TIMEOUT_MS / 2;

let gw: { child: BenchChild; port: number; httpUrl: string; pid: number };

beforeAll(async () => {
  gw = await startGatewayChild({
    maxConnections: MAX_CONNECTIONS,
    httpReserveConnections: RESERVE,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    httpRequestTimeoutSeconds: 1,
  });
}, 30_000);
afterAll(async () => {
  await gw?.child.stop();
});

const fds = (): number => readdirSync(`/proc/${gw.pid}/fd`).length;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function openSockets(): Promise<{ websocket: number; other: number }> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const read = (kind: string): number => Number(/rtm_auth_open_sockets\{kind="(\w+)"\} (\d+)/g.exec(text.split("\n").find((l) => l.startsWith(`rtm_auth_open_sockets{kind="${kind}"}`)) ?? "")?.[2] ?? Number.NaN);
  return { websocket: read("websocket"), other: read("other") };
}

/** Waits until the gateway counts no WebSocket (the previous case's sockets are gone). */
async function settled(): Promise<void> {
  for (let i = 0; i < 100 && (await openSockets()).websocket > 0; i++) await sleep(50);
}

describe("the half-closed flood", () => {
  it(`MAX_CONNECTIONS=${MAX_CONNECTIONS} holds against ${ATTEMPTS} upgrades whose peers never answer the close frame`, async () => {
    await settled();
    const fdsBefore = fds();
    let maxWs = 0;
    let maxFds = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        maxWs = Math.max(maxWs, (await openSockets()).websocket);
        maxFds = Math.max(maxFds, fds());
        await sleep(20);
      }
    })();
    let accepted = 0;
    let refused503 = 0;
    let droppedAtAccept = 0;
    const lifetimes: number[] = [];
    const stubborn: Socket[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        while (next < ATTEMPTS) {
          next++;
          const u = await AbuseClient.open(gw.port, { keepTexts: false });
          if (u.kind === "refused") {
            if (u.statusLine.includes(" 503 ")) refused503++;
            await sleep(RETRY_MS);
            continue;
          }
          if (u.kind !== "open") {
            // Beyond MAX_CONNECTIONS + reserve the process closes the socket at accept.
            droppedAtAccept++;
            await sleep(RETRY_MS);
            continue;
          }
          accepted++;
          const ws = u.ws;
          stubborn.push(ws.socket);
          // A binary frame is a protocol violation: the gateway closes (4500) and we never answer.
          const t0 = performance.now();
          ws.socket.write(maskedFrame(0x2, Buffer.from([1])));
          await ws.released;
          lifetimes.push(performance.now() - t0);
        }
      }),
    );
    polling = false;
    await poller;
    console.log(`half-closed flood: ${accepted} accepted, ${refused503} refused 503, ${droppedAtAccept} closed at accept; max websockets counted ${maxWs}; fds ${fdsBefore} → max ${maxFds}; longest close ${Math.round(Math.max(...lifetimes))} ms`);
    expect(maxWs).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(maxFds - fdsBefore).toBeLessThanOrEqual(MAX_CONNECTIONS + RESERVE + 4);
    expect(refused503).toBeGreaterThan(0);
    expect(accepted + refused503 + droppedAtAccept).toBe(ATTEMPTS);
    // The flood outlasted several close timeouts: the slots the timeout freed were taken again.
    expect(accepted).toBeGreaterThan(MAX_CONNECTIONS);
    // Each stubborn socket was destroyed by the close timeout, not after ws's 30 s.
    expect(Math.max(...lifetimes)).toBeLessThan(CLOSE_TIMEOUT_MS + 2_000);
    for (const s of stubborn) s.destroy();
    await settled();
    expect((await openSockets()).websocket).toBe(0);
  }, 120_000);
});

describe("at the WebSocket limit", () => {
  it("health, readiness and metrics still answer; one more upgrade gets 503", async () => {
    await settled();
    const held: AbuseClient[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const u = await AbuseClient.open(gw.port, { keepTexts: false });
      expect(u.kind).toBe("open");
      if (u.kind === "open") held.push(u.ws);
    }
    const extra = await AbuseClient.open(gw.port);
    expect(extra.kind === "refused" && extra.statusLine).toBe("HTTP/1.1 503 Service Unavailable");
    for (const path of ["/healthz", "/readyz", "/metrics"]) expect((await fetch(`${gw.httpUrl}${path}`)).status).toBe(200);
    expect((await openSockets()).websocket).toBe(MAX_CONNECTIONS);
    for (const ws of held) ws.socket.destroy();
  }, 60_000);
});

/** Opens a socket that sends `head`, then one byte of `drip` every `everyMs`; resolves when the server closes it. */
function slow(head: string, drip: string, everyMs: number): { closed: Promise<{ ms: number; reply: string }>; socket: Socket } {
  const socket = connect({ host: "127.0.0.1", port: gw.port });
  socket.on("error", () => undefined);
  const t0 = performance.now();
  let reply = "";
  socket.on("data", (d: Buffer) => (reply += d.toString("latin1")));
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    if (i < drip.length && socket.writable) socket.write(drip[i++] as string);
  }, everyMs);
  const closed = new Promise<{ ms: number; reply: string }>((resolve) =>
    socket.once("close", () => {
      clearInterval(timer);
      resolve({ ms: performance.now() - t0, reply });
    }),
  );
  return { closed, socket };
}

describe("slowloris", () => {
  it("upgrades whose headers trickle in are cut after HTTP_REQUEST_TIMEOUT_SECONDS", async () => {
    await settled();
    const socks = Array.from({ length: 30 }, () => slow("GET /rtm HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 200));
    const results = await Promise.all(socks.map((s) => s.closed));
    // 1 s timeout, checked every second: cut within about 2 s, never left for minutes.
    for (const r of results) expect(r.ms).toBeLessThan(3_500);
    expect((await fetch(`${gw.httpUrl}/healthz`)).status).toBe(200);
  }, 30_000);

  it("more slow sockets than MAX_CONNECTIONS + reserve: the excess is refused at accept, and health comes back", async () => {
    await settled();
    const socks = Array.from({ length: MAX_CONNECTIONS + RESERVE + 40 }, () => slow("GET /healthz HTTP/1.1\r\n", "X-Slow: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 200));
    await sleep(300);
    const open = await openSockets().catch(() => null);
    if (open !== null) expect(open.websocket + open.other).toBeLessThanOrEqual(MAX_CONNECTIONS + RESERVE);
    await Promise.all(socks.map((s) => s.closed));
    expect((await fetch(`${gw.httpUrl}/healthz`)).status).toBe(200);
  }, 30_000);

  it("an admin request whose body trickles in is cut (408) and changes nothing", async () => {
    await settled();
    const before = (await (await fetch(`${gw.httpUrl}/admin/projects`)).json()) as { projects: unknown[] };
    const body = JSON.stringify({ mechanism: "appid" });
    const s = slow(`POST /admin/projects HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body, 250);
    const r = await s.closed;
    expect(r.ms).toBeLessThan(3_500);
    expect(r.reply.slice(0, 40)).toMatch(/^HTTP\/1\.1 408 /);
    const after = (await (await fetch(`${gw.httpUrl}/admin/projects`)).json()) as { projects: unknown[] };
    expect(after.projects.length).toBe(before.projects.length);
  }, 30_000);

  it("a logged-in WebSocket is not cut by the request timeout", async () => {
    await settled();
    const u = await AbuseClient.open(gw.port);
    if (u.kind !== "open") throw new Error("upgrade failed");
    u.ws.send('{"id":1,"op":"login","appId":"a1000000000000000000000000000001","uid":"stays"}');
    expect(await u.ws.until((t) => t.startsWith('{"id":1,'))).toContain('"ok":true');
    await sleep(2_500);
    u.ws.send('{"id":2,"op":"ping"}');
    expect(await u.ws.until((t) => t.startsWith('{"id":2,'))).toContain('"ok":true');
    expect(u.ws.closedAt).toBeNull();
    u.ws.socket.destroy();
  }, 30_000);
});

describe("fragments", () => {
  /** One masked frame with FIN as given (zero mask: the payload goes as is). */
  const frame = (fin: boolean, opcode: number, payload: string): Buffer => {
    const p = Buffer.from(payload, "utf8");
    return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | p.length, 0, 0, 0, 0]), p]);
  };

  it("a message in a few fragments is fine; one in more than 128 is closed with 1008", async () => {
    await settled();
    const ok = await AbuseClient.open(gw.port);
    if (ok.kind !== "open") throw new Error("upgrade failed");
    ok.ws.socket.write(Buffer.concat([frame(false, 1, '{"id":1,'), frame(false, 0, '"op":'), frame(true, 0, '"ping"}')]));
    expect(await ok.ws.until((t) => t.startsWith('{"id":1,'))).toContain('"ok":true');
    ok.ws.socket.destroy();

    const bad = await AbuseClient.open(gw.port);
    if (bad.kind !== "open") throw new Error("upgrade failed");
    bad.ws.socket.write(Buffer.concat([frame(false, 1, "{"), ...Array.from({ length: 200 }, () => frame(false, 0, " "))]));
    await bad.ws.released;
    expect(bad.ws.closeCode).toBe(1008);
  }, 30_000);
});
