/**
 * A gateway in its own process for the chaos suite (dist/bench/soak-gateway.js, forked with
 * --expose-gc): memory is measured in that process alone, after a forced GC. `npm test` builds
 * dist/ before the tests run.
 */
import { BenchChild } from "../../../bench/bench-ipc.js";

/** What the child's `sample` request answers (bench/soak-gateway.ts). */
export interface Sample {
  readonly gc: boolean;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly connections: number;
  readonly sessions: number;
  readonly retained: { connections: number; sessions: number; timers: number; deadlines: number; heldConnections: number };
}

const CHILD = new URL("../../../dist/bench/soak-gateway.js", import.meta.url).href;

/** Starts a gateway child on 127.0.0.1 with the dev seed and `config` on top. */
export async function startGatewayChild(config: Record<string, unknown> = {}, execArgv: readonly string[] = []): Promise<{ child: BenchChild; port: number; httpUrl: string; pid: number }> {
  const { child, ready } = await BenchChild.start(
    "gateway",
    CHILD,
    [JSON.stringify({ port: 0, host: "127.0.0.1", logLevel: "error", devSeed: true, ...config })],
    ["--expose-gc", ...execArgv],
  );
  return { child, port: ready["port"] as number, httpUrl: ready["httpUrl"] as string, pid: ready["pid"] as number };
}
