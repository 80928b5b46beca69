/**
 * How `rtm-auth serve` (what `npm start` runs) starts, spawned as a user runs it (issue 14, item 2):
 * - a port in use is reported at once (before any Redis connection), exit 2, naming the port and
 *   `--port` / `PORT`;
 * - the human banner goes to stdout and the log lines to stderr; `--json` prints one JSON summary
 *   line, the first (and only) line on stdout;
 * - `--no-dev-seed`, `DEV_SEED=0` and npm's own `npm_config_dev_seed` (what `npm start --no-dev-seed`
 *   without `--` sets) each start with no project.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;

beforeAll(() => {
  if (!existsSync(new URL("../../dist/gateway/cli/main.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
});

/** The environment of a spawned serve: ours without npm's dev-seed setting (a run under `npm test --no-dev-seed`). */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!("npm_config_dev_seed" in extra)) delete e["npm_config_dev_seed"];
  if (!("DEV_SEED" in extra)) delete e["DEV_SEED"];
  return e;
}

interface Running {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Spawns `serve ARGS` and resolves once stdout holds `ready` (a string it prints when listening). */
async function serve(args: string[], extra: Record<string, string>, ready: string): Promise<Running> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], { env: env(extra), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, stdout: () => out, stderr: () => err };
}

async function stop(r: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => r.child.once("exit", (code) => resolve(code)));
  r.child.kill("SIGTERM");
  return exited;
}

describe("a port in use", () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it("exit 2 at once, naming the port, --port and PORT; checked before Redis (an unreachable REDIS_URL is never waited for)", () => {
    const started = performance.now();
    const r = spawnSync(process.execPath, [BIN, "serve"], {
      encoding: "utf8",
      timeout: 15_000,
      // Nothing listens on port 1: reaching Redis first would take the store's 10 s start timeout.
      env: env({ PORT: String(port), REDIS_URL: "redis://127.0.0.1:1", LOG_LEVEL: "info" }),
    });
    const ms = performance.now() - started;
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `rtm-auth serve: port ${port} on 127.0.0.1 is already in use (another gateway still running?); stop it, or choose another port with --port N or PORT=N (npm start -- --port ${port + 1})\n`,
    );
    expect(ms).toBeLessThan(3_000);
  });

  it("--port names the same way", () => {
    const r = spawnSync(process.execPath, [BIN, "serve", "--port", String(port), "--json"], { encoding: "utf8", timeout: 15_000, env: env({ LOG_LEVEL: "silent" }) });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^rtm-auth serve: port ${port} on 127\\.0\\.0\\.1 is already in use .*--port N or PORT=N`));
  });
});

describe("stdout and stderr", () => {
  it("--json: the summary is stdout's first and only line; the log lines (JSON, with a level) are on stderr", async () => {
    const r = await serve(["--json"], { LOG_LEVEL: "info" }, "\n");
    const lines = r.stdout().trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]!) as { url: string; http: string; devSeed: boolean };
    expect(summary).toMatchObject({ devSeed: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/rtm$/) });
    expect((await fetch(`${summary.http}/healthz`)).status).toBe(200);
    expect(await stop(r)).toBe(0);
    expect(r.stdout().trimEnd().split("\n")).toHaveLength(1); // the shutdown logged nothing on stdout either
    const logs = r.stderr().trimEnd().split("\n").map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining([expect.stringContaining("DEV SEED ACTIVE"), "stopped"]));
  });

  it("the human banner: stdout starts with the listening line and holds no log line", async () => {
    const r = await serve([], { LOG_LEVEL: "info" }, "Try a login:");
    expect(r.stdout()).toMatch(/^rtm-auth-gateway listening: ws:\/\/127\.0\.0\.1:\d+\/rtm {2}\(health: http:\/\/127\.0\.0\.1:\d+\/healthz\)\n/);
    expect(r.stdout()).toContain("!!! DEV CREDENTIALS");
    expect(r.stdout()).not.toContain('"level"');
    expect(r.stderr()).toContain('"level"');
    expect(await stop(r)).toBe(0);
  });
});

describe("no dev seed", () => {
  it.each([
    ["--no-dev-seed", ["--no-dev-seed"], {}],
    ["DEV_SEED=0", [], { DEV_SEED: "0" }],
    ["npm start --no-dev-seed (npm_config_dev_seed='')", [], { npm_config_dev_seed: "" }],
  ] as const)("%s: no projects, no sample token", async (_name, args, extra) => {
    const r = await serve(["--json", ...args], { LOG_LEVEL: "silent", ...extra }, "\n");
    const summary = JSON.parse(r.stdout()) as { http: string; devSeed: boolean; projects: unknown[]; sampleToken: string | null };
    expect(summary).toMatchObject({ devSeed: false, projects: [], sampleToken: null });
    expect(await (await fetch(`${summary.http}/admin/projects`)).json()).toEqual({ projects: [] });
    await stop(r);
  });

  it("without any of them the dev projects are there", async () => {
    const r = await serve(["--json"], { LOG_LEVEL: "silent" }, "\n");
    const summary = JSON.parse(r.stdout()) as { http: string; devSeed: boolean };
    expect(summary.devSeed).toBe(true);
    expect(((await (await fetch(`${summary.http}/admin/projects`)).json()) as { projects: unknown[] }).projects).toHaveLength(3);
    await stop(r);
  });
});
