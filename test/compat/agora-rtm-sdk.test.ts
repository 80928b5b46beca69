/**
 * rtm-auth-gateway/compat/agora-rtm-sdk (RTM 1.x Web) against an embedded gateway: the login,
 * renewal, expiry, remote-login and logout flows with the SDK's events and error shapes
 * (docs/compat.md), the calls that are not emulated, and the listener semantics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRtmToken } from "../../core/token/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import AgoraRTM, { AgoraRtmError, connectRtmEmulator, RtmNotEmulatedError, type RtmClient } from "../../compat/agora-rtm-sdk.js";
import * as named from "../../compat/agora-rtm-sdk.js";
import { resetRtmEmulator } from "../../compat/emulator.js";
import { record1, rejectionOf, settle } from "./support.js";

const TOKEN_APP = "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c01";
const APPID_APP = "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c02";
const OTHER_CERT = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
let gw: TestGateway;
const clients: RtmClient[] = [];

beforeAll(async () => {
  gw = await startGateway({
    clock: "manual",
    projects: [
      { appId: TOKEN_APP, mode: "token" },
      { appId: APPID_APP, mode: "appid" },
    ],
  });
  connectRtmEmulator(gw.url);
});
afterAll(async () => {
  // A client still logged in is logged out so that nothing stays open; the rest reject harmlessly.
  await Promise.allSettled(clients.map((c) => c.logout()));
  resetRtmEmulator();
  await gw.close();
});

function client(appId = TOKEN_APP): RtmClient {
  const c = AgoraRTM.createInstance(appId);
  clients.push(c);
  return c;
}

const mint = async (uid: string, expireSeconds = 3600): Promise<string> => (await gw.admin.tokens.mint({ appId: TOKEN_APP, uid, version: "007", expireSeconds })).token;

describe("login, renew, expiry, logout", () => {
  it("login resolves undefined after CONNECTING/LOGIN and CONNECTED/LOGIN_SUCCESS; logout shows DISCONNECTED/LOGOUT", async () => {
    const c = client();
    const r = record1(c);
    await expect(c.login({ uid: "alice", token: await mint("alice") })).resolves.toBeUndefined();
    expect(r.states()).toEqual(["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS"]);
    await expect(c.logout()).resolves.toBeUndefined();
    await settle(10);
    expect(r.states()).toEqual(["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS", "DISCONNECTED/LOGOUT"]);
    // Logged out: a second logout is the SDK's 102, RtmInvalidStatusError.
    expect(await rejectionOf(c.logout())).toMatchObject({ name: "RtmInvalidStatusError", code: 102, gatewayReason: "not_logged_in" });
  });

  it("an App ID project logs in without a token (and with token \"\")", async () => {
    const c = client(APPID_APP);
    await c.login({ uid: "bob" });
    await c.logout();
    await c.login({ uid: "bob", token: "" });
    await c.logout();
  });

  it("a wrong token rejects with the SDK's error: RtmUnauthenticatedError, code 5, the gateway's message; the state goes back to DISCONNECTED", async () => {
    const c = client();
    const r = record1(c);
    const wrong = buildRtmToken({ version: "007", appId: TOKEN_APP, certificate: OTHER_CERT, uid: "carol", expireSeconds: 600, issueTs: gw.clock.now(), salt: 7 });
    const err = await rejectionOf(c.login({ uid: "carol", token: wrong }));
    expect(err).toBeInstanceOf(AgoraRtmError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: "RtmUnauthenticatedError", code: 5, codeName: "LOGIN_ERR_INVALID_TOKEN", gatewayReason: "invalid_signature", message: "The token signature is invalid." });
    await settle(10);
    expect(r.states()).toEqual(["CONNECTING/LOGIN", "DISCONNECTED/LOGIN_FAILURE"]);
  });

  it("an invalid uid is RtmInvalidArgumentError 3 with no state event; a second login is RtmInvalidStatusError 8", async () => {
    const c = client(APPID_APP);
    const r = record1(c);
    expect(await rejectionOf(c.login({ uid: "null" }))).toMatchObject({ name: "RtmInvalidArgumentError", code: 3, gatewayReason: "invalid_uid" });
    expect(r.states()).toEqual([]);
    await c.login({ uid: "dave" });
    expect(await rejectionOf(c.login({ uid: "dave" }))).toMatchObject({ name: "RtmInvalidStatusError", code: 8, gatewayReason: "already_logged_in" });
    await c.logout();
  });

  it("a token that is not a string is RtmInvalidArgumentError 3 (reason malformed)", async () => {
    const c = client();
    const err = await rejectionOf(c.login({ uid: "erin", token: 42 as unknown as string }));
    expect(err).toMatchObject({ name: "RtmInvalidArgumentError", code: 3, codeName: "LOGIN_ERR_INVALID_ARGUMENT", gatewayReason: "malformed" });
  });

  it("TokenPrivilegeWillExpire comes 30 s before expiry; a renewToken in the listener keeps the session past the old expiry", async () => {
    const c = client();
    const r = record1(c);
    let renewed: Promise<void> | undefined;
    c.on("TokenPrivilegeWillExpire", () => {
      renewed = mint("frank", 3600).then((t) => c.renewToken(t));
    });
    await c.login({ uid: "frank", token: await mint("frank", 600) });
    await gw.clock.advance(570);
    await r.next("TokenPrivilegeWillExpire");
    await renewed;
    await gw.clock.advance(60); // past the first token's expiry
    await settle(20);
    expect(r.seen).toEqual(["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS", "TokenPrivilegeWillExpire"]);
    await c.logout();
  });

  it("without a renewal: TokenExpired, then ABORTED/TOKEN_EXPIRED; a renewToken afterwards is 102", async () => {
    const c = client();
    const r = record1(c);
    await c.login({ uid: "gina", token: await mint("gina", 120) });
    await gw.clock.advance(121);
    await r.next("ABORTED/TOKEN_EXPIRED");
    expect(r.seen).toEqual(["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS", "TokenPrivilegeWillExpire", "TokenExpired", "ABORTED/TOKEN_EXPIRED"]);
    expect(await rejectionOf(c.renewToken(await mint("gina")))).toMatchObject({ name: "RtmInvalidStatusError", code: 102, gatewayReason: "not_logged_in" });
    // Logout from ABORTED resets the state locally, as the SDK does.
    await c.logout();
    expect(r.states().at(-1)).toBe("DISCONNECTED/LOGOUT");
  });

  it("renewToken refusals carry 1.x's renew codes: 6 for an invalid token, 5 for an expired one", async () => {
    const c = client();
    await c.login({ uid: "hank", token: await mint("hank") });
    const wrong = buildRtmToken({ version: "007", appId: TOKEN_APP, certificate: OTHER_CERT, uid: "hank", expireSeconds: 600, issueTs: gw.clock.now(), salt: 8 });
    expect(await rejectionOf(c.renewToken(wrong))).toMatchObject({ name: "RtmUnauthenticatedError", code: 6, codeName: "RENEW_TOKEN_ERR_INVALID_TOKEN" });
    await settle(1000); // the renew window is 2 calls a second
    const expired = (await gw.admin.tokens.mint({ appId: TOKEN_APP, uid: "hank", version: "007", expireSeconds: 1 })).token;
    await gw.clock.advance(2);
    expect(await rejectionOf(c.renewToken(expired))).toMatchObject({ name: "RtmUnauthenticatedError", code: 5, codeName: "RENEW_TOKEN_ERR_TOKEN_EXPIRED" });
    await c.logout();
  });

  it("a login of the same uid elsewhere ends this session: ABORTED/REMOTE_LOGIN", async () => {
    const first = client();
    const second = client();
    const r = record1(first);
    await first.login({ uid: "ivan", token: await mint("ivan") });
    await second.login({ uid: "ivan", token: await mint("ivan") });
    await r.next("ABORTED/REMOTE_LOGIN");
    expect(r.states()).toEqual(["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS", "ABORTED/REMOTE_LOGIN"]);
    await second.logout();
  });
});

describe("the SDK's surface", () => {
  it("the default export holds the SDK's constants, with their values", () => {
    expect(AgoraRTM.ConnectionState).toEqual({ DISCONNECTED: "DISCONNECTED", CONNECTING: "CONNECTING", CONNECTED: "CONNECTED", RECONNECTING: "RECONNECTING", ABORTED: "ABORTED" });
    expect(Object.keys(AgoraRTM.ConnectionChangeReason)).toEqual(["LOGIN", "LOGIN_SUCCESS", "LOGIN_FAILURE", "LOGIN_TIMEOUT", "INTERRUPTED", "LOGOUT", "BANNED_BY_SERVER", "REMOTE_LOGIN", "TOKEN_EXPIRED"]);
    expect(AgoraRTM.LOG_FILTER_WARNING).toEqual({ error: true, warn: true, info: false, track: false, debug: false });
    expect(AgoraRTM.VERSION).toBe("1.5.1");
    expect(Object.isFrozen(AgoraRTM)).toBe(true);
    // Every member is also a named export (what a bundler's interop gives from the real package).
    for (const [key, value] of Object.entries(AgoraRTM)) expect((named as Record<string, unknown>)[key], key).toBe(value);
  });

  it("calls outside login reject (or throw) RtmNotEmulatedError naming the method", async () => {
    const c = client();
    const err = await rejectionOf(c.sendMessageToPeer({ text: "hi" }, "bob"));
    expect(err).toBeInstanceOf(RtmNotEmulatedError);
    expect(err).toMatchObject({ name: "RtmNotEmulatedError", method: "sendMessageToPeer" });
    expect(err.message).toMatch(/^sendMessageToPeer\(\) is not emulated by rtm-auth-gateway's agora-rtm-sdk compat module/);
    expect(await rejectionOf(c.setChannelAttributes("ch", { a: "b" }))).toMatchObject({ method: "setChannelAttributes" });
    expect(() => c.createChannel("ch")).toThrow(/^createChannel\(\) is not emulated/);
    expect(() => c.createLocalInvitation("bob")).toThrow(RtmNotEmulatedError);
  });

  it("createInstance checks its config; updateConfig and setParameters accept an object; setArea checks its codes", () => {
    expect(() => AgoraRTM.createInstance(TOKEN_APP, "verbose" as never)).toThrow(/createInstance's config must be an object \(RtmConfig\) or omitted; got string/);
    const c = client();
    expect(() => c.updateConfig({ logFilter: AgoraRTM.LOG_FILTER_OFF })).not.toThrow();
    expect(() => c.setParameters(null as never)).toThrow(/setParameters' config must be an object/);
    expect(() => AgoraRTM.setArea({ areaCodes: [] })).toThrow(/setArea needs \{ areaCodes: \[one or more of GLOBAL/);
    expect(() => AgoraRTM.setArea({ areaCodes: ["EUROPE"] })).not.toThrow();
  });

  it("listeners: once fires once, off removes the latest registration, removeAllListeners empties the list", async () => {
    const c = client(APPID_APP);
    const calls: string[] = [];
    const a = () => calls.push("a");
    c.on("ConnectionStateChanged", a);
    c.on("ConnectionStateChanged", a);
    c.once("ConnectionStateChanged", (state) => calls.push(`once:${state}`));
    c.off("ConnectionStateChanged", a);
    c.on("ConnectionStateChanged", (state, reason) => calls.push(`last:${state}/${reason}`));
    expect(c.listenerCount("ConnectionStateChanged")).toBe(3);
    await c.login({ uid: "judy" });
    await settle(10);
    expect(calls).toEqual(["a", "once:CONNECTING", "last:CONNECTING/LOGIN", "a", "last:CONNECTED/LOGIN_SUCCESS"]);
    expect(c.listeners("ConnectionStateChanged")).toEqual([a, expect.any(Function)]);
    c.removeAllListeners("ConnectionStateChanged");
    expect(c.listeners("ConnectionStateChanged")).toEqual([]);
    await c.logout();
  });
});
