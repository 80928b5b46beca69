/**
 * An own redis-server for a benchmark: REDIS_SERVER_BIN or /usr/bin/redis-server on a free
 * 127.0.0.1 port, no persistence, in a temp directory, stopped (and the directory removed) by
 * `stop()` or when this process exits. Resolves once it answers INFO.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server (three tries, in case the free port is taken in between). `extraArgs` are
 * added to its command line (e.g. `--cluster-enabled yes`); a `{dir}` in one is the server's
 * temp directory.
 */
export async function startRedisServer(extraArgs: readonly string[] = []): Promise<OwnRedis> {
  const bin = process.env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";
  const dir = mkdtempSync(join(os.tmpdir(), "rtm-bench-redis-"));
  let output = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const child = spawn(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning", "--maxclients", "1000", ...extraArgs.map((a) => a.replaceAll("{dir}", dir))], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
    child.stderr.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
    const killOnExit = (): void => void child.kill("SIGKILL");
    process.once("exit", killOnExit);
    const spawnError = await new Promise<Error | null>((resolve) => {
      child.once("spawn", () => resolve(null));
      child.once("error", resolve);
    });
    if (spawnError !== null) {
      process.off("exit", killOnExit);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    }
    const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    client.on("error", () => undefined);
    let version = "";
    for (let i = 0; i < 250 && version === "" && child.exitCode === null; i++) {
      try {
        if (client.status === "wait" || client.status === "end") await client.connect();
        version = /redis_version:(\S+)/.exec(await client.info("server"))?.[1] ?? "?";
      } catch {
        client.disconnect();
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    client.disconnect();
    if (version === "") {
      child.kill("SIGKILL");
      process.off("exit", killOnExit);
      if (attempt < 3 && child.exitCode !== null) continue;
      break;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      version,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((r) => child.once("exit", () => r()));
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }
        process.off("exit", killOnExit);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start: ${output.trim()}`);
}
