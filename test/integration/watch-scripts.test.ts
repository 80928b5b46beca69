/**
 * The bench's MONITOR script counter (`watchScripts`, bench/gateway-process.ts), which
 * two-gateways-redis and bench:propagation use to tell the ownership batch script from a
 * certificate read:
 * - a MONITOR line's arguments come back as the bytes sent (quotes, backslashes, control bytes and
 *   UTF-8 are escaped by Redis);
 * - started again and again while another client keeps Redis busy (as the gateways' heartbeats do),
 *   it never fails and counts every EVAL (by the SHA-1 of its source) and EVALSHA sent after it
 *   resolved. ioredis's `monitor()` once failed here with "Command queue state error".
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitorArgs, watchScripts } from "../../bench/gateway-process.js";
import { adminClient, redisServerUnavailable, startOwnRedisServer, type OwnRedisServer } from "../support/redis.js";

describe("monitorArgs", () => {
  it("gives each quoted argument as the bytes sent", () => {
    const line = String.raw`+1764000000.123456 [0 127.0.0.1:51234] "eval" "return \"a\\b\"\n\t\r\a\b caf\xc3\xa9" "0"`;
    expect(monitorArgs(line).map((b) => b.toString("utf8"))).toEqual(["eval", 'return "a\\b"\n\t\r\u0007\b café', "0"]);
    expect(monitorArgs(String.raw`+1764000000.1 [0 unix:/tmp/r.sock] "ping"`).map(String)).toEqual(["ping"]);
    expect(monitorArgs(`+1764000000.1 [0 127.0.0.1:1] ""`)).toEqual([Buffer.alloc(0)]);
    expect(monitorArgs("+OK")).toEqual([]);
  });
});

const unavailable = redisServerUnavailable();

describe.skipIf(unavailable !== undefined)("watchScripts on a busy Redis", () => {
  let server: OwnRedisServer;
  beforeAll(async () => {
    server = await startOwnRedisServer();
  }, 30_000);
  afterAll(async () => {
    await server?.kill();
  });

  it("starts 30 times under a steady stream of commands without failing, and counts every script call after it", async () => {
    const busy = adminClient(server.url);
    const caller = adminClient(server.url);
    let flooding = true;
    // The stream: pipelines of SETs and EVALSHAs of another script, back to back, until the end.
    const other = "return 1";
    const otherSha = createHash("sha1").update(other).digest("hex");
    await busy.script("LOAD", other);
    const flood = (async () => {
      let sent = 0;
      while (flooding && sent < 2_000_000) {
        const p = busy.pipeline();
        for (let i = 0; i < 50; i++) p.set("watch-scripts:k", String(i)).evalsha(otherSha, 0);
        await p.exec();
        sent += 100;
      }
    })();
    try {
      // A Lua long string: quotes, a backslash, a newline, a tab and UTF-8, all escaped by MONITOR.
      const source = 'return [[q"uote\\ \n\ttab café]]';
      const sha = createHash("sha1").update(source).digest("hex");
      for (let round = 0; round < 30; round++) {
        const scripts = await watchScripts({ host: "127.0.0.1", port: server.port });
        try {
          for (let i = 0; i < 3; i++) await caller.eval(source, 0);
          for (let i = 0; i < 2; i++) await caller.evalsha(sha, 0);
          const deadline = performance.now() + 5_000;
          while ((scripts.calls.get(sha) ?? 0) < 5 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          expect(scripts.calls.get(sha), `round ${round}: EVAL by the SHA-1 of its source, and EVALSHA`).toBe(5);
          expect(scripts.calls.get(otherSha), `round ${round}: the stream's own script`).toBeGreaterThan(0);
          expect([...scripts.calls.keys()].sort()).toEqual([sha, otherSha].sort());
        } finally {
          scripts.stop();
        }
      }
    } finally {
      flooding = false;
      await flood;
      busy.disconnect();
      caller.disconnect();
    }
  }, 60_000);

  it("refuses a server that does not answer MONITOR with +OK", async () => {
    const { createServer } = await import("node:net");
    const fake = createServer((s) => s.once("data", () => s.write("-ERR unknown command 'MONITOR'\r\n")));
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    const port = (fake.address() as { port: number }).port;
    try {
      await expect(watchScripts({ host: "127.0.0.1", port })).rejects.toThrow(`MONITOR answered "-ERR unknown command 'MONITOR'", not +OK`);
    } finally {
      fake.close();
    }
  });
});
