/**
 * `node --import rtm-auth-gateway/compat/register` (docs/compat.md, "Plain node"): a plain node
 * program importing `agora-rtm-sdk` and `agora-rtm` gets the compat modules and logs in to the
 * gateway named by RTM_AUTH_EMULATOR_URL. The program runs in a child node from the built dist/
 * (the package's own name resolves to it from this repository, as from an installed copy).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const APP = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e09";
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ clock: "real", projects: [{ appId: APP, mode: "appid" }] });
});
afterAll(() => gw.close());

/** Runs `node --import rtm-auth-gateway/compat/register -e program` from the repository (asynchronously: the gateway answers from this process). */
function runNode(program: string, env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "rtm-auth-gateway/compat/register", "--input-type=module", "-e", program], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const PROGRAM = `
import AgoraRTM from "agora-rtm-sdk";
import AgoraRTM2 from "agora-rtm";
const client = AgoraRTM.createInstance(${JSON.stringify(APP)});
const states = [];
client.on("ConnectionStateChanged", (state, reason) => states.push(state + "/" + reason));
await client.login({ uid: "alice" });
await client.logout();
const rtm = new AgoraRTM2.RTM(${JSON.stringify(APP)}, "bob");
rtm.addEventListener("linkState", (e) => states.push(e.previousState + ">" + e.currentState));
const response = await rtm.login();
await rtm.logout();
console.log(JSON.stringify({ builds: [AgoraRTM.BUILD, AgoraRTM2.BUILD], states, timestamp: typeof response.timestamp }));
`;

it("redirects both SDK names to the compat modules; the program logs in and out with each", async () => {
  const run = await runNode(PROGRAM, { RTM_AUTH_EMULATOR_URL: gw.url });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(JSON.parse(run.stdout.trim())).toEqual({
    builds: ["rtm-auth-gateway-compat", "rtm-auth-gateway-compat"],
    states: ["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS", "DISCONNECTED/LOGOUT", "IDLE>CONNECTING", "CONNECTING>CONNECTED", "CONNECTED>IDLE"],
    timestamp: "number",
  });
});

it("leaves every other specifier to the usual resolution", async () => {
  const run = await runNode(`import { WebSocket } from "ws"; import { createRtmClient } from "rtm-auth-gateway/client"; console.log(typeof WebSocket, typeof createRtmClient);`);
  expect(run).toMatchObject({ status: 0, stderr: "", stdout: "function function\n" });
  const missing = await runNode(`import "rtm-auth-gateway/compat/not-a-module";`);
  expect(missing.status).not.toBe(0);
  expect(missing.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
});
