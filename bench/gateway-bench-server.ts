/**
 * A server under test for the gateway benchmark, run as its own child process:
 *
 *   node dist/bench/gateway-bench-server.js bare|gateway ['{"gateway config overrides"}']
 *
 *  - `bare`: a bare `ws` server — `WebSocketServer({noServer: true, perMessageDeflate: false})` on
 *    a node http server, upgraded from `server.on("upgrade")` after the same path check the
 *    gateway does, answering every text message with one small, constant JSON message. The
 *    transport floor every WebSocket service pays.
 *    With `'{"spinUs":N}'` it first keeps the CPU busy for N µs per message (bench:gateway --spin):
 *    a server that costs exactly N µs more per cycle in user code, to calibrate the closed loop.
 *  - `gateway`: `startGateway()` with the dev seed (the token-only project is logged into with
 *    007 tokens), silent logging, on 127.0.0.1 and a free port, otherwise its default
 *    configuration (the decision journal on, JOURNAL_SIZE 10000): what a user runs. The
 *    idle-memory half passes `journalSize: 0` (memory-bench.ts). With `'{"answerWithoutLogin":true}'`
 *    (bench:gateway --no-login) its session logic is taken out: every text frame is answered with
 *    BARE_REPLY through the gateway's transport, which measures that transport alone.
 *
 * Requests (see bench-ipc.ts): `mark` starts a measurement window, `measure` ends it and returns
 * this process's CPU time (`process.cpuUsage()` delta) and event-loop utilisation over it;
 * `memory` runs gc() (when started with --expose-gc), waits `settleMs` and returns
 * `process.memoryUsage()` and the open connection count.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { WebSocketServer, type WebSocket } from "ws";
import type { ShadowTarget } from "../core/protocol/admin.js";
import { startGateway, type Gateway } from "../gateway/main.js";
import { serveChild, type Message } from "./bench-ipc.js";

/** The bare server's answer to every text message. */
export const BARE_REPLY = '{"id":1,"ok":true,"op":"echo"}';
export const BENCH_PATH = "/rtm";

interface Running {
  readonly port: number;
  readonly path: string;
  connections(): { connections: number; sessions: number };
  close(): Promise<void>;
}

/** Keeps the CPU busy for `us` microseconds (wall time; the process is alone on its core as far as it can tell). */
function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    // busy
  }
}

async function startBare(spinUs = 0): Promise<Running> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(404, { "content-length": 0 });
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  let open = 0;
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const url = req.url ?? "";
    const q = url.indexOf("?");
    if ((q < 0 ? url : url.slice(0, q)) !== BENCH_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      open++;
      ws.on("message", (_data, isBinary: boolean) => {
        if (spinUs > 0) spin(spinUs);
        if (!isBinary) ws.send(BARE_REPLY);
      });
      ws.on("close", () => open--);
      ws.on("error", () => {});
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    path: BENCH_PATH,
    connections: () => ({ connections: open, sessions: 0 }),
    close: async () => {
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function startGatewayServer(overrides: Record<string, unknown>): Promise<Running> {
  // `shadowTarget` (not a config field): set that shadow target on every dev project (docs/migration.md).
  const { shadowTarget, answerWithoutLogin, ...config } = overrides;
  const gw: Gateway = await startGateway({
    config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true, ...config },
  });
  if (shadowTarget !== undefined) for (const p of gw.store.list()) await gw.sessions.shadows.set(p.appId, shadowTarget as ShadowTarget);
  // `answerWithoutLogin` (not a config field): the transport alone, no session logic (bench:gateway --no-login).
  if (answerWithoutLogin === true) gw.sessions.onText = (conn) => conn.transport.send(BARE_REPLY);
  return {
    port: gw.port,
    path: new URL(gw.url).pathname,
    connections: () => ({ connections: gw.sessions.connectionCount, sessions: gw.sessions.sessionCount }),
    close: () => gw.close(),
  };
}

/**
 * Resident bytes of the process's memory by kind of mapping (Linux /proc/self/smaps; `smaps` false
 * and zeros elsewhere): `brkHeap`, the C allocator's main arena ("[heap]"); `anon`, every other anonymous
 * mapping (V8's heap pages, the allocator's large blocks and other arenas). Mapped files are left out.
 */
function mappings(): { smaps: boolean; brkHeap: number; anon: number } {
  const out = { smaps: false, brkHeap: 0, anon: 0 };
  let text: string;
  try {
    text = readFileSync("/proc/self/smaps", "latin1");
  } catch {
    return out;
  }
  out.smaps = true;
  let kind: "brkHeap" | "anon" | null = null;
  for (const line of text.split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header !== null) {
      const name = header[1]!;
      kind = name === "[heap]" ? "brkHeap" : name.startsWith("/") ? null : "anon";
      continue;
    }
    if (kind !== null && line.startsWith("Rss:")) out[kind] += Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  return out;
}

const kind = process.argv[2];
if (kind !== "bare" && kind !== "gateway") {
  console.error("usage: gateway-bench-server.js bare|gateway [config-json]");
  process.exit(2);
}
const overrides = JSON.parse(process.argv[3] ?? "{}") as Record<string, unknown>;
// `bare '{"spinUs":N}'`: the bare server, busy for N µs of CPU before each reply (bench:gateway --spin).
const running = kind === "bare" ? await startBare(typeof overrides["spinUs"] === "number" ? overrides["spinUs"] : 0) : await startGatewayServer(overrides);
const gc = (globalThis as { gc?: () => void }).gc;

let cpu0 = process.cpuUsage();
let elu0 = performance.eventLoopUtilization();
let t0 = process.hrtime.bigint();

serveChild(
  {
    mark: () => {
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
      t0 = process.hrtime.bigint();
      return {};
    },
    measure: () => {
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      return { userUs: cpu.user, systemUs: cpu.system, wallMs: Number(process.hrtime.bigint() - t0) / 1e6, elu: elu.utilization, ...running.connections() };
    },
    memory: async (m: Message) => {
      const settleMs = typeof m["settleMs"] === "number" ? m["settleMs"] : 500;
      if (gc !== undefined) gc();
      await sleep(settleMs);
      if (gc !== undefined) {
        gc();
        gc();
      }
      // Committed bytes per V8 heap space, for telling live objects from space the heap keeps (new space above all).
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, { size: sp.space_size, used: sp.space_used_size }]));
      return { gc: gc !== undefined, ...process.memoryUsage(), spaces, ...mappings(), ...running.connections() };
    },
    stats: () => running.connections(),
  },
  { kind, port: running.port, path: running.path, pid: process.pid },
  async () => {
    await Promise.race([running.close(), sleep(5_000)]);
  },
);
