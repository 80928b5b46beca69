/**
 * Where the compat modules find the gateway (docs/compat.md, "Pointing at the gateway"):
 * connectRtmEmulator(url), else RTM_AUTH_EMULATOR_URL, read at each login; without either a login
 * rejects with an error that says how to set one.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";
import AgoraRTM1, * as Rtm1 from "../../compat/agora-rtm-sdk.js";
import AgoraRTM2, { connectRtmEmulator, RtmEmulatorConfigError, RtmNotEmulatedError } from "../../compat/agora-rtm.js";
import { configuredEmulatorUrl, EMULATOR_URL_VARIABLE, normaliseEmulatorUrl, resetRtmEmulator } from "../../compat/emulator.js";
import { rejectionOf } from "./support.js";

const APP = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e01";
let a: TestGateway;
let b: TestGateway;
const saved = process.env[EMULATOR_URL_VARIABLE];

beforeAll(async () => {
  [a, b] = await Promise.all([startGateway({ projects: [{ appId: APP, mode: "appid" }] }), startGateway({ projects: [{ appId: APP, mode: "appid" }] })]);
});
afterEach(() => {
  resetRtmEmulator();
  if (saved === undefined) delete process.env[EMULATOR_URL_VARIABLE];
  else process.env[EMULATOR_URL_VARIABLE] = saved;
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

it("with neither set, login rejects with RtmEmulatorConfigError saying how to set it (both generations); logout before any login answers as the SDKs do", async () => {
  delete process.env[EMULATOR_URL_VARIABLE];
  const one = AgoraRTM1.createInstance(APP);
  const err = await rejectionOf(one.login({ uid: "alice" }));
  expect(err).toBeInstanceOf(RtmEmulatorConfigError);
  expect(err.name).toBe("RtmEmulatorConfigError");
  expect(err.message).toMatch(/^No RTM emulator is set: call connectRtmEmulator\("ws:\/\/127\.0\.0\.1:8080\/rtm"\)/);
  expect(err.message).toContain("or set RTM_AUTH_EMULATOR_URL=ws://127.0.0.1:8080/rtm");
  const two = new AgoraRTM2.RTM(APP, "alice");
  expect(await rejectionOf(two.login())).toBeInstanceOf(RtmEmulatorConfigError);
  // No session and no gateway: 1.x logout is 102, 2.x logout resolves.
  expect(await rejectionOf(one.logout())).toMatchObject({ code: 102 });
  await expect(two.logout()).resolves.toMatchObject({ timestamp: expect.any(Number) });
});

it("before any login, without a gateway (docs/compat.md): 1.x logout and renewToken reject 102, 2.x logout resolves and renewToken rejects -10025", async () => {
  delete process.env[EMULATOR_URL_VARIABLE];
  const one = AgoraRTM1.createInstance(APP);
  const two = new AgoraRTM2.RTM(APP, "alice");
  expect(await rejectionOf(one.logout())).toMatchObject({ name: "RtmInvalidStatusError", code: 102 });
  expect(await rejectionOf(one.renewToken("007x"))).toMatchObject({ name: "RtmInvalidStatusError", code: 102 });
  await expect(two.logout()).resolves.toEqual({ timestamp: expect.any(Number) });
  expect(await rejectionOf(two.renewToken("007x"))).toMatchObject({ name: "RtmInvalidStatusError", errorCode: -10025, operation: "renewToken" });
});

it("both modules say they are the emulator (BUILD) and export the same two error classes (docs/compat.md, \"Troubleshooting\")", async () => {
  expect(AgoraRTM1.BUILD).toBe("rtm-auth-gateway-compat");
  expect(AgoraRTM2.BUILD).toBe("rtm-auth-gateway-compat");
  expect(Rtm1.RtmNotEmulatedError).toBe(RtmNotEmulatedError);
  expect(Rtm1.RtmEmulatorConfigError).toBe(RtmEmulatorConfigError);
  // A factory outside login throws; a method rejects: instanceof holds with either module's class.
  expect(() => AgoraRTM1.createInstance(APP).createChannel("c")).toThrow(Rtm1.RtmNotEmulatedError);
  expect(await rejectionOf(new AgoraRTM2.RTM(APP, "bob").publish("c", "m"))).toBeInstanceOf(RtmNotEmulatedError);
});

it("RTM_AUTH_EMULATOR_URL is read at login; connectRtmEmulator wins over it", async () => {
  process.env[EMULATOR_URL_VARIABLE] = a.url;
  const c = AgoraRTM1.createInstance(APP);
  await c.login({ uid: "bob" });
  expect((await a.admin.sessions.list()).map((s) => s.uid)).toContain("bob");
  await c.logout();
  connectRtmEmulator(b.url);
  await c.login({ uid: "bob" });
  expect((await b.admin.sessions.list()).map((s) => s.uid)).toContain("bob");
  expect((await a.admin.sessions.list()).map((s) => s.uid)).not.toContain("bob");
  await c.logout();
});

it("a client created before the gateway was set, or moved to another gateway, logs in where the emulator points at login time", async () => {
  const c = new AgoraRTM2.RTM(APP, "carol");
  connectRtmEmulator(a.url);
  await c.login();
  await c.logout();
  connectRtmEmulator(b.url);
  await c.login();
  expect((await b.admin.sessions.list()).map((s) => s.uid)).toContain("carol");
  await c.logout();
});

it("URLs: ws/wss kept, http/https become ws/wss, no path means /rtm; anything else is a clear RtmEmulatorConfigError", () => {
  expect(normaliseEmulatorUrl("ws://127.0.0.1:8080/rtm", "x")).toBe("ws://127.0.0.1:8080/rtm");
  expect(normaliseEmulatorUrl("http://127.0.0.1:8080", "x")).toBe("ws://127.0.0.1:8080/rtm");
  expect(normaliseEmulatorUrl(" https://rtm.example.test/ ", "x")).toBe("wss://rtm.example.test/rtm");
  expect(normaliseEmulatorUrl("wss://rtm.example.test/custom/rtm?x=1", "x")).toBe("wss://rtm.example.test/custom/rtm?x=1");
  expect(() => connectRtmEmulator("ftp://127.0.0.1/rtm")).toThrow(/connectRtmEmulator\(url\) must use ws:, wss:, http: or https:, not ftp:/);
  expect(() => connectRtmEmulator("127.0.0.1:8080")).toThrow(RtmEmulatorConfigError);
  expect(() => connectRtmEmulator("not a url")).toThrow(/connectRtmEmulator\(url\) is not a URL: "not a url"/);
  expect(() => connectRtmEmulator("" as string)).toThrow(/must be the gateway's URL, e.g. ws:\/\/127\.0\.0\.1:8080\/rtm; got ""/);
  process.env[EMULATOR_URL_VARIABLE] = "gopher://x";
  expect(() => configuredEmulatorUrl()).toThrow(/RTM_AUTH_EMULATOR_URL must use ws:, wss:, http: or https:, not gopher:/);
});
