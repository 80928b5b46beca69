/**
 * `rtm-auth serve` and its stop signals (docs/robustness.md, "Graceful drain (SIGTERM)"): Ctrl-C on `npm start`
 * reaches the gateway twice, from the terminal and forwarded by npm, and that is still one stop with
 * the drain (exit 0); a different second signal skips the drain (exit 1). The 4002 each session gets
 * is asserted in test/chaos/sigterm.test.ts.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { beforeAll, expect, it } from "vitest";
import WebSocket from "ws";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const APP = "a1000000000000000000000000000001"; // the dev seed's App ID project

beforeAll(() => {
  if (!existsSync(new URL("../../dist/gateway/cli/main.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
});

/**
 * A gateway process holding one logged-in session; resolves once it is held. A `stubborn` client
 * stops reading after its login, so it never answers the close frame and the drain takes its whole time.
 */
async function servingOneSession(stubborn = false): Promise<{ signal: (s: NodeJS.Signals) => void; exited: Promise<number | null>}> {
  const server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--json"], { env: { ...process.env, LOG_LEVEL: "silent", DRAIN_SECONDS: "2" }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"sampleToken"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}`)));
  });
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.on("open", () => ws.send(JSON.stringify({ id: 1, op: "login", appId: APP, uid: "held" })));
    ws.on("message", (d) => {
      const text = String(d);
      if (text.startsWith('{"id":1,')) (text.startsWith('{"id":1,"ok":true') ? resolve() : reject(new Error(text)));
    });
    ws.on("error", reject);
  });
  if (stubborn) ws.pause();
  return { signal: (s) => server.kill(s), exited };
}

it("SIGINT twice in a row (Ctrl-C under npm start) is one stop: the drain runs its course and the process exits 0", async () => {
  const g = await servingOneSession(true); // the drain lasts DRAIN_SECONDS: the repeat arrives during it
  g.signal("SIGINT");
  // npm forwards its own SIGINT a moment later (two signals sent at the same instant merge into one).
  await new Promise((r) => setTimeout(r, 50));
  g.signal("SIGINT");
  expect(await g.exited).toBe(0);
}, 20_000);

it("a different second signal during the drain exits at once with 1", async () => {
  const g = await servingOneSession(true);
  g.signal("SIGINT");
  await new Promise((r) => setTimeout(r, 100));
  g.signal("SIGTERM");
  expect(await g.exited).toBe(1);
}, 20_000);
