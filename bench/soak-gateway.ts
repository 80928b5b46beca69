/**
 * The gateway under soak, as its own child process of bench/soak.ts (forked with --expose-gc):
 *
 *   node --expose-gc dist/bench/soak-gateway.js '{"gateway config"}'
 *
 * It runs `startGateway()` with the given configuration on top of the defaults of
 * gateway/config.ts (the parent passes port 0, 127.0.0.1, no dev seed, log level warn, and the
 * Redis settings with `--redis`); nothing is read from this process's environment, so a run is
 * the same whatever the shell exports.
 *
 * Requests (bench-ipc.ts): `sample` reads the event-loop delay since the previous sample
 * (perf_hooks.monitorEventLoopDelay, 10 ms resolution) and resets it, then forces a full GC
 * (twice, a turn of the loop apart), then answers `process.memoryUsage()`, the GC time, and the
 * gateway's connection and session counts. Reading the delay first keeps the forced GC out of it.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setImmediate as turn } from "node:timers/promises";
import { startGateway } from "../gateway/main.js";
import { serveChild } from "./bench-ipc.js";

/** Resolution of the event-loop delay histogram, ms. */
const ELD_RESOLUTION_MS = 10;

const input = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown>;
const gw = await startGateway({ config: input });
const gc = (globalThis as { gc?: () => void }).gc;
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
eld.enable();

serveChild(
  {
    sample: async () => {
      // Nanoseconds; a histogram with no sample yet reports NaN percentiles.
      const p99 = eld.count > 0 ? eld.percentile(99) / 1e6 : 0;
      const max = eld.count > 0 ? eld.max / 1e6 : 0;
      eld.reset();
      const t0 = performance.now();
      if (gc !== undefined) {
        gc();
        await turn();
        gc();
      }
      const gcMs = performance.now() - t0;
      const m = process.memoryUsage();
      return {
        gc: gc !== undefined,
        gcMs,
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        eldP99Ms: p99,
        eldMaxMs: max,
        connections: gw.sessions.connectionCount,
        sessions: gw.sessions.sessionCount,
        // What the session manager still holds (all zero once every connection has closed).
        retained: gw.sessions.retained(),
      };
    },
  },
  { url: gw.url, httpUrl: gw.httpUrl, port: gw.port, pid: process.pid },
  async () => {
    eld.disable();
    await Promise.race([gw.close(), new Promise((r) => setTimeout(r, 5_000))]);
  },
);
