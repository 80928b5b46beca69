/**
 * rtm-auth-gateway/compat/agora-rtm (RTM 2.x Web) against an embedded gateway: login with the
 * SDK's response shape, the linkState, status, tokenPrivilegeWillExpire and token events, renewal,
 * expiry, remote login and logout, RTMBaseError's fields (docs/compat.md), the calls that are not
 * emulated, and the constructor's config.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRtmToken } from "../../core/token/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import AgoraRTM, { ConstantsType, connectRtmEmulator, RTMBaseError, RtmNotEmulatedError, type LinkStateEvent, type RTMClient } from "../../compat/agora-rtm.js";
import * as named from "../../compat/agora-rtm.js";
import { resetRtmEmulator } from "../../compat/emulator.js";
import { record2, rejectionOf, settle } from "./support.js";

const TOKEN_APP = "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d01";
const APPID_APP = "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d02";
const OTHER_CERT = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
const NOW = 1_750_000_000;
let gw: TestGateway;
const clients: RTMClient[] = [];

beforeAll(async () => {
  gw = await startGateway({
    clock: "manual",
    now: NOW,
    projects: [
      { appId: TOKEN_APP, mode: "token" },
      { appId: APPID_APP, mode: "appid" },
    ],
  });
  connectRtmEmulator(gw.url);
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.logout()));
  resetRtmEmulator();
  await gw.close();
});

function rtm(uid: string, appId = TOKEN_APP, config?: ConstructorParameters<typeof AgoraRTM.RTM>[2]): RTMClient {
  const c = new AgoraRTM.RTM(appId, uid, config);
  clients.push(c);
  return c;
}

const mint = async (uid: string, expireSeconds = 3600): Promise<string> => (await gw.admin.tokens.mint({ appId: TOKEN_APP, uid, version: "007", expireSeconds })).token;

describe("login, renew, expiry, logout", () => {
  it("login resolves { timestamp } (the gateway's clock, ms) after IDLE>CONNECTING and CONNECTING>CONNECTED, with the SDK's linkState payload", async () => {
    const c = rtm("alice");
    const r = record2(c);
    const events: LinkStateEvent[] = [];
    c.addEventListener("linkState", (e) => events.push(e));
    const response = await c.login({ token: await mint("alice") });
    expect(response).toEqual({ timestamp: gw.clock.now() * 1000 });
    expect(r.seen).toEqual(["IDLE>CONNECTING/LOGIN/LOGIN", "status:CONNECTING/CONNECTING", "CONNECTING>CONNECTED/LOGIN/LOGIN_SUCCESS", "status:CONNECTED/LOGIN_SUCCESS"]);
    expect(events[1]).toEqual({
      timestamp: expect.any(Number),
      currentState: "CONNECTED",
      previousState: "CONNECTING",
      serviceType: "MESSAGE",
      operation: "LOGIN",
      reason: "Login success",
      reasonCode: "LOGIN_SUCCESS",
      affectedChannels: [],
      unrestoredChannels: [],
      isResumed: false,
    });
    // A second login as the same user resolves at once, with no event (2.x from 2.2).
    await expect(c.login({ token: await mint("alice") })).resolves.toMatchObject({ timestamp: expect.any(Number) });
    const out = await c.logout();
    expect(out.timestamp).toBeGreaterThanOrEqual(NOW * 1000);
    await settle(10);
    expect(r.seen.slice(4)).toEqual(["CONNECTED>IDLE/LOGOUT/LOGOUT", "status:DISCONNECTED/LOGOUT"]);
    // Logged out, a logout resolves (2.x only warns).
    await expect(c.logout()).resolves.toMatchObject({ timestamp: expect.any(Number) });
  });

  it("the config's token (RTM 2.1) is used by a login given none; an App ID project needs none", async () => {
    const c = rtm("bob", TOKEN_APP, { token: await mint("bob"), logLevel: "none" });
    await c.login();
    await c.logout();
    const d = rtm("bob2", APPID_APP);
    await d.login();
    await d.logout();
  });

  it("a wrong token rejects with RTMBaseError: errorCode -10005, operation login, error true, reason the gateway's text; FAILED with INVALID_TOKEN", async () => {
    const c = rtm("carol");
    const r = record2(c);
    const wrong = buildRtmToken({ version: "007", appId: TOKEN_APP, certificate: OTHER_CERT, uid: "carol", expireSeconds: 600, issueTs: gw.clock.now(), salt: 3 });
    const err = await rejectionOf(c.login({ token: wrong }));
    expect(err).toBeInstanceOf(RTMBaseError);
    expect(err).toBeInstanceOf(AgoraRTM.RTMBaseError);
    expect(err).toMatchObject({
      name: "RtmUnauthenticatedError",
      error: true,
      errorCode: -10005,
      code: -10005,
      operation: "login",
      reason: "The token signature is invalid.",
      codeName: "RTM_ERROR_INVALID_TOKEN",
      gatewayReason: "invalid_signature",
    });
    await settle(10);
    expect(r.seen).toEqual(["IDLE>CONNECTING/LOGIN/LOGIN", "status:CONNECTING/CONNECTING", "CONNECTING>FAILED/LOGIN/INVALID_TOKEN", "status:DISCONNECTED/REJECTED_BY_SERVER"]);
  });

  it("an invalid user id is refused by login (-10006, RtmInvalidArgumentError) with IDLE>FAILED and no status event", async () => {
    const c = rtm("d’oh", APPID_APP);
    const r = record2(c);
    expect(await rejectionOf(c.login())).toMatchObject({ name: "RtmInvalidArgumentError", errorCode: -10006, gatewayReason: "invalid_uid" });
    await settle(10);
    expect(r.seen).toEqual(["IDLE>FAILED/LOGIN/INVALID_USER_ID"]);
  });

  it("tokenPrivilegeWillExpire (channelName \"\") and token WILL_EXPIRE come 30 s before expiry; renewing in the listener keeps the session", async () => {
    const c = rtm("dave");
    const r = record2(c);
    let renewed: Promise<unknown> | undefined;
    const tokenEvents: unknown[] = [];
    c.addEventListener("token", (e) => tokenEvents.push(e));
    c.addEventListener("tokenPrivilegeWillExpire", () => {
      renewed = mint("dave", 3600).then((t) => c.renewToken(t));
    });
    await c.login({ token: await mint("dave", 600) });
    await gw.clock.advance(570);
    await r.next("token:WILL_EXPIRE");
    await expect(renewed).resolves.toEqual({ timestamp: gw.clock.now() * 1000 });
    expect(tokenEvents).toEqual([{ timestamp: expect.any(Number), eventType: "WILL_EXPIRE", reason: "The token is about to expire", affectedResources: { messageChannels: [] } }]);
    await gw.clock.advance(60);
    await settle(20);
    expect(r.links()).toEqual(["IDLE>CONNECTING/LOGIN/LOGIN", "CONNECTING>CONNECTED/LOGIN/LOGIN_SUCCESS"]);
    expect(r.seen).toContain("tokenPrivilegeWillExpire:");
    await c.logout();
  });

  it("without a renewal: FAILED, SERVER_REJECT, TOKEN_EXPIRED (status FAILED/TOKEN_EXPIRED); renewToken then is -10025", async () => {
    const c = rtm("erin");
    const r = record2(c);
    await c.login({ token: await mint("erin", 120) });
    await gw.clock.advance(121);
    await r.next("CONNECTED>FAILED/SERVER_REJECT/TOKEN_EXPIRED");
    expect(r.seen.slice(4)).toEqual(["tokenPrivilegeWillExpire:", "token:WILL_EXPIRE", "CONNECTED>FAILED/SERVER_REJECT/TOKEN_EXPIRED", "status:FAILED/TOKEN_EXPIRED"]);
    expect(await rejectionOf(c.renewToken(await mint("erin")))).toMatchObject({ name: "RtmInvalidStatusError", errorCode: -10025, operation: "renewToken", gatewayReason: "not_logged_in" });
    // Logout from FAILED goes back to IDLE locally.
    await c.logout();
    expect(r.seen.slice(-2)).toEqual(["FAILED>IDLE/LOGOUT/LOGOUT", "status:DISCONNECTED/LOGOUT"]);
  });

  it("a login of the same user elsewhere: FAILED, SERVER_REJECT, SAME_UID_LOGIN (status FAILED/SAME_UID_LOGIN)", async () => {
    const first = rtm("frank");
    const second = rtm("frank");
    const r = record2(first);
    await first.login({ token: await mint("frank") });
    await second.login({ token: await mint("frank") });
    await r.next("status:FAILED/SAME_UID_LOGIN");
    expect(r.links()).toEqual(["IDLE>CONNECTING/LOGIN/LOGIN", "CONNECTING>CONNECTED/LOGIN/LOGIN_SUCCESS", "CONNECTED>FAILED/SERVER_REJECT/SAME_UID_LOGIN"]);
    await second.logout();
  });

  it("a kick through the admin API: FAILED, SERVER_REJECT, KICKED_OUT_BY_SERVER (status FAILED/INTERRUPTED)", async () => {
    const c = rtm("kim");
    const r = record2(c);
    await c.login({ token: await mint("kim") });
    const [session] = await gw.admin.sessions.list({ uid: "kim" });
    await gw.admin.sessions.kick(session!.sessionId);
    await r.next("status:FAILED/INTERRUPTED");
    expect(r.seen.slice(-2)).toEqual(["CONNECTED>FAILED/SERVER_REJECT/KICKED_OUT_BY_SERVER", "status:FAILED/INTERRUPTED"]);
  });

  it("renewToken refusals: -10005 for an invalid token (RtmUnauthenticatedError); a stream channel's token is not emulated", async () => {
    const c = rtm("gina");
    await c.login({ token: await mint("gina") });
    const wrong = buildRtmToken({ version: "007", appId: TOKEN_APP, certificate: OTHER_CERT, uid: "gina", expireSeconds: 600, issueTs: gw.clock.now(), salt: 4 });
    expect(await rejectionOf(c.renewToken(wrong))).toMatchObject({ name: "RtmUnauthenticatedError", errorCode: -10005, operation: "renewToken" });
    expect(await rejectionOf(c.renewToken(await mint("gina"), { channelName: "stream-1" }))).toMatchObject({ name: "RtmNotEmulatedError", method: "renewToken({ channelName })" });
    await c.logout();
  });
});

describe("the SDK's surface", () => {
  it("RTMBaseError's constructor takes the SDK's arguments: a reason or a format, and a code, a name or { code, serverCode, originalError }", () => {
    const plain = new RTMBaseError("login", "Invalid token.", -10005);
    expect(plain).toMatchObject({ operation: "login", reason: "Invalid token.", message: "Invalid token.", code: -10005, errorCode: -10005, error: true, name: "RTMBaseError" });
    const formatted = new RTMBaseError("publish", ["%s failed %d times (%j) 100%%", "publish", 3, { a: 1 }], { code: -11001, serverCode: 7 });
    expect(formatted).toMatchObject({ reason: 'publish failed 3 times ({"a":1}) 100%', errorCode: -11001, serverCode: 7 });
    const named = new RTMBaseError("setArea", undefined, "RtmInvalidArgumentError");
    expect(named).toMatchObject({ name: "RtmInvalidArgumentError", reason: "", errorCode: 0, code: undefined });
  });

  it("the default export and the named exports: RTM, constantsType / ConstantsType with the SDK's values, VERSION, parameters", () => {
    expect(AgoraRTM.RTM).toBeTypeOf("function");
    expect(AgoraRTM.constantsType).toBe(ConstantsType);
    expect(ConstantsType.LinkStateChangeReasonDescription.SAME_UID_LOGIN).toBe("The same uid login on another device");
    expect(ConstantsType.ChannelTypeEnum).toMatchObject({ MESSAGE: 1, 1: "MESSAGE", USER: 3 });
    expect(AgoraRTM.VERSION).toBe("2.3.0");
    for (const [key, value] of Object.entries(AgoraRTM)) expect((named as Record<string, unknown>)[key], key).toBe(value);
    expect(named.RTMClient).toBe(AgoraRTM.RTM);
    AgoraRTM.setParameter("SOME_KEY", 5);
    expect(AgoraRTM.getParameter("SOME_KEY")).toBe(5);
    AgoraRTM.setParameter("SOME_KEY", undefined); // leave nothing behind for the next file of this worker
    expect(() => AgoraRTM.setArea({ areaCodes: ["MARS" as never] })).toThrow(expect.objectContaining({ name: "RtmInvalidArgumentError", operation: "setArea" }));
  });

  it("the constructor checks its config: an object, a string token, a known logLevel", () => {
    expect(() => new AgoraRTM.RTM(TOKEN_APP, "x", "debug" as never)).toThrow(/rtmConfig must be an object \(RTMConfig\) or omitted; got string/);
    expect(() => new AgoraRTM.RTM(TOKEN_APP, "x", { token: 7 as never })).toThrow(/rtmConfig.token must be a string; got number/);
    expect(() => new AgoraRTM.RTM(TOKEN_APP, "x", { logLevel: "loud" as never })).toThrow(/logLevel must be one of debug, info, warn, error, none; got "loud"/);
  });

  it("calls outside login reject (or throw) RtmNotEmulatedError naming the method", async () => {
    const c = rtm("henry");
    expect(await rejectionOf(c.publish("ch", "hello"))).toMatchObject({ name: "RtmNotEmulatedError", method: "publish" });
    expect(await rejectionOf(c.subscribe("ch"))).toMatchObject({ method: "subscribe" });
    expect(await rejectionOf(c.presence.whoNow("ch", "MESSAGE"))).toMatchObject({ method: "presence.whoNow" });
    expect(await rejectionOf(c.storage.setUserMetadata([]))).toMatchObject({ method: "storage.setUserMetadata" });
    expect(await rejectionOf(c.lock.acquireLock("ch", "MESSAGE", "l"))).toMatchObject({ method: "lock.acquireLock" });
    expect(await rejectionOf(c.history.getMessages("ch", "MESSAGE"))).toMatchObject({ method: "history.getMessages" });
    expect(() => c.createStreamChannel("ch")).toThrow(RtmNotEmulatedError);
  });

  it("removeEventListener removes the latest registration; listeners of events that are not emulated are accepted and never called", async () => {
    const c = rtm("ivan", APPID_APP);
    const seen: string[] = [];
    const onLink = (e: LinkStateEvent) => seen.push(e.currentState);
    c.addEventListener("linkState", onLink);
    c.addEventListener("linkState", onLink);
    c.removeEventListener("linkState", onLink);
    (c.addEventListener as (name: string, l: () => void) => void)("message", () => seen.push("message"));
    await c.login();
    await c.logout();
    await settle(10);
    expect(seen).toEqual(["CONNECTING", "CONNECTED", "IDLE"]);
  });
});
