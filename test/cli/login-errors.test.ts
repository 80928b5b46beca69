/**
 * `rtm-auth login` names why it could not reach a gateway (issue 14, item 4), with the reader
 * `rtm-auth load` uses (client/load/probe.ts): connection refused, the HTTP status of a refused
 * upgrade (404 for a wrong path, 503 at MAX_CONNECTIONS), exit 1; and its usage errors end with
 * the pointer to `rtm-auth login --help`, exit 2. Spawned as a user runs it, against a gateway in
 * this process.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import { startGateway, type Gateway } from "../../gateway/main.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const APPID = DEV_PROJECTS.find((p) => p.mode === "appid")!.appId;

function login(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "login", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let gw: Gateway;

beforeAll(async () => {
  if (!existsSync(new URL("../../dist/client/load/probe.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
  gw = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true } });
});

afterAll(async () => {
  await gw?.close();
});

describe("connection failures are named, exit 1", () => {
  it("connection refused", async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const url = `ws://127.0.0.1:${port}/rtm`;
    const run = await login(["--url", url, "--app-id", APPID, "--uid", "alice", "--json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`rtm-auth login: cannot reach the gateway at ${url}: connection refused: nothing listens on 127.0.0.1:${port} (is the gateway running? \`npm start\` starts one on 127.0.0.1:8080)\n`);
    const last = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ kind: "unreachable", failure: "connect", detail: "ECONNREFUSED" });
  });

  it("a wrong path: HTTP 404 and the gateway's path", async () => {
    const url = gw.url.replace(/\/rtm$/, "/ws");
    const run = await login(["--url", url, "--app-id", APPID, "--uid", "alice"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`rtm-auth login: cannot reach the gateway at ${url}: HTTP 404 Not Found: no WebSocket endpoint at /ws (the gateway's is /rtm)\n`);
    expect(run.stdout).toMatch(/^unreachable \{"failure":"upgrade","detail":"HTTP\/1\.1 404 Not Found",/m);
  });

  it("an upgrade refused at MAX_CONNECTIONS: HTTP 503", async () => {
    const full = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true, maxConnections: 1 } });
    // The one socket MAX_CONNECTIONS allows, held open by this test.
    const holder = new WebSocket(full.url);
    try {
      await new Promise((resolve, reject) => {
        holder.once("open", resolve);
        holder.once("error", reject);
      });
      const run = await login(["--url", full.url, "--app-id", APPID, "--uid", "alice"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`rtm-auth login: cannot reach the gateway at ${full.url}: HTTP 503 Service Unavailable: the gateway refused the upgrade (at MAX_CONNECTIONS, or shutting down)\n`);
    } finally {
      holder.terminate();
      await full.close();
    }
  });

  it("a gateway that answers still logs in (exit 0), and a refusal is still a refusal (exit 1, nothing probed)", async () => {
    expect((await login(["--url", gw.url, "--app-id", APPID, "--uid", "alice"])).code).toBe(0);
    const refused = await login(["--url", gw.url, "--app-id", "0123456789abcdef0123456789abcdef", "--uid", "alice"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^refused +\{"code":/m);
    expect(refused.stdout).not.toContain("unreachable");
    expect(refused.stderr).toBe("");
  });
});

describe("usage errors end with the help pointer, exit 2", () => {
  it.each<[string, string[], string]>([
    ["a missing option", ["--url", "ws://127.0.0.1:1/rtm"], "rtm-auth login: missing --app-id, --uid; see 'rtm-auth login --help'\n"],
    ["an unknown option", ["--bogus"], "rtm-auth login: Unknown option '--bogus'; see 'rtm-auth login --help'\n"],
    ["a bad profile", ["--url", "ws://127.0.0.1:1/rtm", "--app-id", APPID, "--uid", "u", "--profile", "rtm9"], "rtm-auth login: --profile must be rtm1 or rtm2; see 'rtm-auth login --help'\n"],
    ["an http URL", ["--url", "http://127.0.0.1:1/rtm", "--app-id", APPID, "--uid", "u"], "rtm-auth login: --url must be ws://HOST:PORT/rtm (or wss://), not http://; see 'rtm-auth login --help'\n"],
  ])("%s", async (_label, args, message) => {
    const run = await login(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(message);
    expect(run.stdout).toBe("");
  });
});
