/**
 * `rtm-auth login --hold S` ends its hold when the gateway ends the session (here: kicked, 4502),
 * instead of waiting the whole S seconds.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const APP = "a1d0000000000000000000000000000b";
let gw: TestGateway;

beforeAll(async () => {
  if (!existsSync(new URL("../../dist/gateway/cli/login-command.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
  gw = await startGateway({ projects: [{ appId: APP, mode: "appid" }] });
}, 120_000);
afterAll(() => gw?.close());

it("a kicked session ends --hold 600 at once: the close is printed and the command exits 0", async () => {
  const child = spawn(process.execPath, [BIN, "login", "--url", gw.url, "--app-id", APP, "--uid", "holder", "--hold", "600", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const loggedIn = new Promise<void>((resolve) =>
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes('"kind":"logged-in"')) resolve();
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  await loggedIn;
  const [session] = await gw.admin.sessions.list({ appId: APP, uid: "holder" });
  expect(session).toBeDefined();
  await gw.admin.sessions.kick(session!.sessionId);
  // Without the fix the command would sit out its 600 s hold, far past this test's timeout.
  expect(await exited).toBe(0);
  expect(out).toMatch(/"kind":"closed","code":4502/);
}, 30_000);
