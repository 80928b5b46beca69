/**
 * `npm start` path: `rtm-auth serve` prints the dev projects and a working sample token, and
 * `rtm-auth login` (the README's one-line try) logs in with it. Both spawned as a user would.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
let server: ChildProcess;
let summary: { url: string; http: string; sampleToken: string; projects: Array<{ mode: string; appId: string }> };

beforeAll(async () => {
  if (!existsSync(new URL("../../dist/gateway/cli/main.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
  server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--json"], { env: { ...process.env, LOG_LEVEL: "silent" }, stdio: ["ignore", "pipe", "pipe"] });
  summary = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"sampleToken"'));
      if (line !== undefined) resolve(JSON.parse(line));
    });
    server.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
});

afterAll(() => {
  server.kill("SIGTERM");
});

function login(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, "login", ...args], { encoding: "utf8", timeout: 15_000 });
  return { status: r.status, stdout: r.stdout };
}

it("serve answers /healthz and lists one dev project per mode", async () => {
  expect(summary.projects.map((p) => p.mode)).toEqual(["appid", "either", "token"]);
  const res = await fetch(`${summary.http}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

it("the printed sample token logs in on the token project (exit 0), and refusals exit 1 with the code", () => {
  const token = summary.projects.find((p) => p.mode === "token")?.appId as string;
  const ok = login(["--url", summary.url, "--app-id", token, "--uid", "alice", "--token", summary.sampleToken, "--json"]);
  expect(ok.status).toBe(0);
  const kinds = ok.stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string; reason?: string; code?: number });
  expect(kinds.map((k) => k.kind)).toEqual(["event", "event", "logged-in", "event", "closed"]);

  const refused = login(["--url", summary.url, "--app-id", token, "--uid", "bob", "--token", summary.sampleToken, "--json"]);
  expect(refused.status).toBe(1);
  expect(refused.stdout).toContain('"kind":"refused","code":3,"name":"LOGIN_ERR_INVALID_ARGUMENT","reason":"uid_mismatch"');

  const appIdOnly = summary.projects.find((p) => p.mode === "appid")?.appId as string;
  expect(login(["--url", summary.url, "--app-id", appIdOnly, "--uid", "carol"]).status).toBe(0);
});

it("usage errors exit 2", () => {
  expect(login(["--url", summary.url]).status).toBe(2);
  expect(login(["--url", summary.url, "--app-id", "x", "--uid", "y", "--profile", "rtm9"]).status).toBe(2);
});

it("serve with an unreachable Redis exits 2, naming REDIS_URL without its credentials", () => {
  const r = spawnSync(process.execPath, [BIN, "serve", "--port", "0"], {
    encoding: "utf8",
    timeout: 30_000,
    // Port 1 on loopback: nothing listens; the store gives up after its start timeout, here 1 s
    // instead of the default 10 (REDIS_START_TIMEOUT_SECONDS).
    env: { ...process.env, REDIS_URL: "redis://user:secret@127.0.0.1:1", REDIS_START_TIMEOUT_SECONDS: "1", LOG_LEVEL: "silent" },
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    "rtm-auth serve: cannot load the certificate state from Redis at redis://127.0.0.1:1 (REDIS_URL): Redis not ready after 1000 ms (last error: connect ECONNREFUSED 127.0.0.1:1)\n",
  );
  expect(r.stderr + r.stdout).not.toContain("secret");
}, 40_000);
