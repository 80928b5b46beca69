import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createRtmClient, RtmError, type RtmClient, type RtmClientEvents } from "../../../client/index.js";
import {
  APP_ID,
  loginResult,
  RTM1_LOGIN_EVENTS,
  RTM2_LOGIN_EVENTS,
  startFakeGateway,
  type FakeGateway,
  type Frame,
  type ScriptContext,
} from "./fake-gateway.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function gateway(script?: (frame: Frame, ctx: ScriptContext) => void): Promise<FakeGateway> {
  const gw = await startFakeGateway(script);
  cleanups.push(() => gw.stop());
  return gw;
}

function client(gw: FakeGateway, options: Partial<Parameters<typeof createRtmClient>[0]> = {}): RtmClient {
  const c = createRtmClient({ url: gw.url, appId: APP_ID, ...options });
  cleanups.push(() => c.close());
  return c;
}

/** Records every event of a client, in order, as [name, payload]. */
function record(c: RtmClient): Array<[keyof RtmClientEvents, unknown]> {
  const seen: Array<[keyof RtmClientEvents, unknown]> = [];
  for (const name of ["connectionStateChanged", "linkState", "tokenPrivilegeWillExpire", "tokenExpired", "closed"] as const) {
    c.on(name, (payload) => seen.push([name, payload]));
  }
  return seen;
}

function next<K extends keyof RtmClientEvents>(c: RtmClient, name: K): Promise<RtmClientEvents[K]> {
  return new Promise((resolve) => c.once(name, resolve));
}

async function rejection(promise: Promise<unknown>): Promise<RtmError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RtmError);
  return error as RtmError;
}

/** A gateway that accepts everything, with the events of the login's profile. */
function accepting(frame: Frame, ctx: ScriptContext): void {
  switch (frame.op) {
    case "login":
      for (const e of frame["profile"] === "rtm2" ? RTM2_LOGIN_EVENTS : RTM1_LOGIN_EVENTS) ctx.send(e);
      ctx.ok(frame, loginResult(String(frame["uid"])));
      return;
    case "renewToken":
      ctx.ok(frame, { expiresAt: 2_100_000_000, tokenVersion: "007", serverTime: 1_900_000_001 });
      return;
    case "logout":
      ctx.send({ event: "connectionStateChanged", state: "DISCONNECTED", reason: "LOGOUT", stateCode: 1, reasonCode: 6 });
      ctx.ok(frame, { serverTime: 1_900_000_002 });
      return;
    case "ping":
      ctx.ok(frame, { serverTime: 1_900_000_003 });
      return;
  }
}

describe("login", () => {
  it("rtm1: sends the login frame, resolves with the result and applies the events to state", async () => {
    const gw = await gateway(accepting);
    const c = client(gw);
    const seen = record(c);
    expect(c.profile).toBe("rtm1");
    expect(c.state).toBe("DISCONNECTED");

    const result = await c.login({ uid: "alice", token: "007secret" });

    expect(result).toEqual(loginResult("alice"));
    expect(c.state).toBe("CONNECTED");
    expect(seen).toEqual(RTM1_LOGIN_EVENTS.map((e) => ["connectionStateChanged", e]));
    expect(gw.frames).toEqual([{ id: 1, op: "login", appId: APP_ID, uid: "alice", token: "007secret", profile: "rtm1" }]);
  });

  it("rtm2: starts IDLE, follows linkState, sends a null token for an App ID login", async () => {
    const gw = await gateway(accepting);
    const c = client(gw, { profile: "rtm2" });
    const seen = record(c);
    expect(c.state).toBe("IDLE");

    await c.login({ uid: "bob" });

    expect(c.state).toBe("CONNECTED");
    expect(seen).toEqual(RTM2_LOGIN_EVENTS.map((e) => ["linkState", e]));
    expect(gw.frames[0]).toMatchObject({ op: "login", uid: "bob", token: null, profile: "rtm2" });
  });

  it("rtm1 refusal rejects with the gateway's code, name and reason exactly", async () => {
    const gw = await gateway((frame, ctx) => {
      ctx.send(RTM1_LOGIN_EVENTS[0]);
      ctx.send({ event: "connectionStateChanged", state: "DISCONNECTED", reason: "LOGIN_FAILURE", stateCode: 1, reasonCode: 3 });
      ctx.fail(frame, { code: 5, name: "LOGIN_ERR_INVALID_TOKEN", reason: "invalid_signature", message: "The token signature is invalid." });
    });
    const c = client(gw);

    const error = await rejection(c.login({ uid: "alice", token: "007bad" }));

    expect(error).toMatchObject({
      code: 5,
      name: "LOGIN_ERR_INVALID_TOKEN",
      reason: "invalid_signature",
      message: "The token signature is invalid.",
      op: "login",
    });
    expect(c.state).toBe("DISCONNECTED");
  });

  it("rtm2 refusal carries the -100xx code and RTM_ERROR_ name", async () => {
    const gw = await gateway((frame, ctx) =>
      ctx.fail(frame, { code: -10005, name: "RTM_ERROR_INVALID_TOKEN", reason: "token_required" }),
    );
    const c = client(gw, { profile: "rtm2" });

    const error = await rejection(c.login({ uid: "alice" }));

    expect(error).toMatchObject({ code: -10005, name: "RTM_ERROR_INVALID_TOKEN", reason: "token_required", op: "login" });
  });

  it("rtm1 timeout: code 9 LOGIN_ERR_TIMEOUT, DISCONNECTED/LOGIN_TIMEOUT, socket closed", async () => {
    const gw = await gateway(() => {});
    const c = client(gw, { loginTimeoutMs: 50 });
    const seen = record(c);
    const closed = next(c, "closed");

    const error = await rejection(c.login({ uid: "alice", token: "007x" }));

    expect(error).toMatchObject({ code: 9, name: "LOGIN_ERR_TIMEOUT", reason: "login_timeout", op: "login" });
    expect(c.state).toBe("DISCONNECTED");
    expect(seen[0]).toEqual([
      "connectionStateChanged",
      { event: "connectionStateChanged", state: "DISCONNECTED", reason: "LOGIN_TIMEOUT", stateCode: 1, reasonCode: 4 },
    ]);
    expect((await closed).code).toBe(1000);
  });

  it("rtm2 timeout: code -10011, linkState FAILED / LOGIN / LOGIN_TIMEOUT", async () => {
    const gw = await gateway((_frame, ctx) => ctx.send(RTM2_LOGIN_EVENTS[0]));
    const c = client(gw, { profile: "rtm2", loginTimeoutMs: 50 });
    const seen = record(c);

    const error = await rejection(c.login({ uid: "alice" }));

    expect(error).toMatchObject({ code: -10011, name: "RTM_ERROR_LOGIN_TIMEOUT", reason: "login_timeout" });
    expect(c.state).toBe("FAILED");
    expect(seen.at(-1)).toEqual([
      "linkState",
      { event: "linkState", currentState: "FAILED", previousState: "CONNECTING", operation: "LOGIN", reasonCode: 3, reason: "LOGIN_TIMEOUT" },
    ]);
  });

  it("a later reply to a timed-out login is ignored", async () => {
    let late: (() => void) | undefined;
    const gw = await gateway((frame, ctx) => {
      late = () => {
        for (const e of RTM1_LOGIN_EVENTS) ctx.send(e);
        ctx.ok(frame, loginResult("alice"));
      };
    });
    // Long enough for the login frame to reach the gateway before the timeout on a loaded machine
    // (the timeout counts the connection too): at 30 ms a CI run timed out before the frame was sent.
    const c = client(gw, { loginTimeoutMs: 250 });
    const seen = record(c);
    const closed = next(c, "closed");
    const login = rejection(c.login({ uid: "alice" }));
    await waitFor(() => late !== undefined);
    await login;
    late?.(); // the socket is closing: whatever still arrives must not count
    await closed;
    expect(c.state).toBe("DISCONNECTED");
    expect(seen.map(([name, e]) => (name === "closed" ? name : (e as { state: string }).state))).toEqual(["DISCONNECTED", "closed"]);
  });

  it("a login to a closed port rejects with connection_closed", async () => {
    const gw = await gateway();
    const url = gw.url;
    await gw.stop();
    const c = createRtmClient({ url, appId: APP_ID });
    const error = await rejection(c.login({ uid: "alice" }));
    expect(error).toMatchObject({ code: 1, name: "LOGIN_ERR_UNKNOWN", reason: "connection_closed" });
  });
});

describe("renewToken, ping and logout", () => {
  it("renew resolves with the result; ids increase on one socket", async () => {
    const gw = await gateway(accepting);
    const c = client(gw);
    await c.login({ uid: "alice", token: "007a" });

    expect(await c.renewToken("007b")).toEqual({ expiresAt: 2_100_000_000, tokenVersion: "007", serverTime: 1_900_000_001 });
    expect(await c.ping()).toEqual({ serverTime: 1_900_000_003 });

    expect(gw.frames.map((f) => [f.id, f.op])).toEqual([
      [1, "login"],
      [2, "renewToken"],
      [3, "ping"],
    ]);
    expect(gw.frames[1]).toEqual({ id: 2, op: "renewToken", token: "007b" });
    expect(gw.connections()).toBe(1);
  });

  it("renew refusal carries the renew table's code", async () => {
    const gw = await gateway((frame, ctx) => {
      if (frame.op === "renewToken") {
        ctx.fail(frame, { code: 6, name: "RENEW_TOKEN_ERR_INVALID_TOKEN", reason: "invalid_signature" });
      } else accepting(frame, ctx);
    });
    const c = client(gw);
    await c.login({ uid: "alice", token: "007a" });

    const error = await rejection(c.renewToken("007bad"));

    expect(error).toMatchObject({ code: 6, name: "RENEW_TOKEN_ERR_INVALID_TOKEN", reason: "invalid_signature", op: "renewToken" });
    expect(c.state).toBe("CONNECTED");
  });

  it("renew timeout: rtm1 code 1, rtm2 -10026; the socket stays open", async () => {
    for (const [profile, code, name] of [
      ["rtm1", 1, "RENEW_TOKEN_ERR_FAILURE"],
      ["rtm2", -10026, "RTM_ERROR_RENEW_TOKEN_TIMEOUT"],
    ] as const) {
      const gw = await gateway((frame, ctx) => {
        if (frame.op !== "renewToken") accepting(frame, ctx);
      });
      const c = client(gw, { profile, renewTimeoutMs: 30 });
      await c.login({ uid: "alice", token: "007a" });

      const error = await rejection(c.renewToken("007b"));

      expect(error).toMatchObject({ code, name, reason: "renew_timeout", op: "renewToken" });
      await expect(c.ping()).resolves.toEqual({ serverTime: 1_900_000_003 });
    }
  });

  it("renew with no socket: rtm1 102, rtm2 -10025, reason not_logged_in", async () => {
    const gw = await gateway(accepting);
    await expect(client(gw).renewToken("007a")).rejects.toMatchObject({ code: 102, reason: "not_logged_in", op: "renewToken" });
    await expect(client(gw, { profile: "rtm2" }).renewToken("007a")).rejects.toMatchObject({ code: -10025, reason: "not_logged_in" });
    await expect(client(gw).ping()).rejects.toMatchObject({ reason: "connection_closed", op: "ping" });
    expect(gw.connections()).toBe(0);
  });

  it("logout: resolves after the socket closed with 1000; the next login opens a new socket", async () => {
    const gw = await gateway(accepting);
    const c = client(gw);
    const seen = record(c);
    await c.login({ uid: "alice", token: "007a" });

    await c.logout();

    expect(c.state).toBe("DISCONNECTED");
    expect(seen.slice(-2)).toEqual([
      ["connectionStateChanged", { event: "connectionStateChanged", state: "DISCONNECTED", reason: "LOGOUT", stateCode: 1, reasonCode: 6 }],
      ["closed", { code: 1000, reason: "" }],
    ]);
    await c.login({ uid: "alice", token: "007a" });
    expect(gw.connections()).toBe(2);
    expect(gw.clientCloseCodes).toEqual([1000]);
    expect(gw.frames.map((f) => [f.id, f.op])).toEqual([
      [1, "login"],
      [2, "logout"],
      [3, "login"],
    ]);
  });

  it("logout refusal rejects and keeps the socket", async () => {
    const gw = await gateway((frame, ctx) => {
      if (frame.op === "logout") ctx.fail(frame, { code: 102, name: "LOGOUT_ERR_USER_NOT_LOGGED_IN", reason: "not_logged_in" });
      else accepting(frame, ctx);
    });
    const c = client(gw);
    await c.login({ uid: "alice" });
    await expect(c.logout()).rejects.toMatchObject({ code: 102, name: "LOGOUT_ERR_USER_NOT_LOGGED_IN", op: "logout" });
    await expect(c.ping()).resolves.toBeDefined();
  });

  it("logout with no socket: rtm1 102 from DISCONNECTED, rtm2 resolves from IDLE", async () => {
    const gw = await gateway();
    await expect(client(gw).logout()).rejects.toMatchObject({ code: 102, name: "LOGOUT_ERR_USER_NOT_LOGGED_IN", reason: "not_logged_in" });
    await expect(client(gw, { profile: "rtm2" }).logout()).resolves.toBeUndefined();
  });
});

describe("socket closes", () => {
  it("closed carries the gateway's close code; the kick's event sets ABORTED and nothing is synthesised", async () => {
    const gw = await gateway(accepting);
    const c = client(gw);
    await c.login({ uid: "alice", token: "007a" });
    const seen = record(c);
    const closed = next(c, "closed");

    const [socket] = gw.sockets();
    socket?.send(JSON.stringify({ event: "connectionStateChanged", state: "ABORTED", reason: "REMOTE_LOGIN", stateCode: 5, reasonCode: 8 }));
    socket?.close(4501, "remote login");

    expect(await closed).toEqual({ code: 4501, reason: "remote login" });
    expect(c.state).toBe("ABORTED");
    expect(seen.map(([name]) => name)).toEqual(["connectionStateChanged", "closed"]);

    // Recovery as the 1.x docs say: logout (local, from ABORTED) then login.
    await c.logout();
    expect(c.state).toBe("DISCONNECTED");
    await c.login({ uid: "alice", token: "007a" });
    expect(c.state).toBe("CONNECTED");
  });

  it("pending calls reject with connection_closed when the server drops the socket; rtm1 shows ABORTED/INTERRUPTED", async () => {
    let drop: (() => void) | undefined;
    const gw = await gateway((frame, ctx) => {
      if (frame.op === "login") accepting(frame, ctx);
      else if (frame.op === "ping") drop = () => ctx.socket.terminate();
    });
    const c = client(gw);
    await c.login({ uid: "alice", token: "007a" });
    const seen = record(c);
    const renew = c.renewToken("007b");
    const ping = c.ping();
    await waitFor(() => drop !== undefined);
    drop?.();

    expect(await rejection(renew)).toMatchObject({ code: 1, name: "RENEW_TOKEN_ERR_FAILURE", reason: "connection_closed", op: "renewToken" });
    expect(await rejection(ping)).toMatchObject({ reason: "connection_closed", op: "ping" });
    expect(c.state).toBe("ABORTED");
    expect(seen).toEqual([
      ["connectionStateChanged", { event: "connectionStateChanged", state: "ABORTED", reason: "INTERRUPTED", stateCode: 5, reasonCode: 5 }],
      ["closed", { code: 1006, reason: "" }],
    ]);
  });

  it("rtm2: an unexplained drop while CONNECTED gives FAILED / SERVER_REJECT / UNKNOWN", async () => {
    const gw = await gateway(accepting);
    const c = client(gw, { profile: "rtm2" });
    await c.login({ uid: "alice" });
    const change = next(c, "linkState");
    for (const socket of gw.sockets()) socket.close(1001, "going away");

    expect(await change).toEqual({
      event: "linkState",
      currentState: "FAILED",
      previousState: "CONNECTED",
      operation: "SERVER_REJECT",
      reasonCode: 0,
      reason: "UNKNOWN",
    });
    expect(c.state).toBe("FAILED");
  });

  it("a drop during a pending login rejects it with connection_closed (rtm2: -10013)", async () => {
    const gw = await gateway((_frame, ctx) => ctx.socket.close(4500, "protocol violation"));
    const c = client(gw, { profile: "rtm2" });
    const closed = next(c, "closed");
    const error = await rejection(c.login({ uid: "alice" }));
    expect(error).toMatchObject({ code: -10013, name: "RTM_ERROR_LOGIN_ABORTED", reason: "connection_closed" });
    expect((await closed).code).toBe(4500);
    expect(c.state).toBe("IDLE");
  });

  it("close() rejects pending calls with connection_closed and emits no state change", async () => {
    const gw = await gateway(() => {});
    const c = client(gw);
    const seen = record(c);
    const login = rejection(c.login({ uid: "alice" }));
    await waitFor(() => gw.frames.length === 1);

    await c.close();

    expect(await login).toMatchObject({ code: 1, reason: "connection_closed", op: "login" });
    expect(seen).toEqual([["closed", { code: 1000, reason: "" }]]);
    await c.close(); // idempotent
  });
});

describe("robustness", () => {
  it("frames that are not JSON, not objects, binary, unknown events or stray replies are ignored", async () => {
    const gw = await gateway((frame, ctx) => {
      ctx.send("not json {");
      ctx.send("[1,2,3]");
      ctx.send("null");
      ctx.send("42");
      ctx.socket.send(Buffer.from([0xff, 0x00]), { binary: true });
      ctx.send({ event: "somethingNew", x: 1 });
      ctx.send({ event: "connectionStateChanged", state: "WEIRD", reason: "LOGIN" });
      ctx.send({ id: 999, ok: true, op: "login", result: {} });
      ctx.send({ id: frame.id, ok: "yes" });
      ctx.send({ id: frame.id, ok: false, error: "nope" });
      ctx.send({ event: "tokenPrivilegeWillExpire", expiresAt: 2_000_000_000, remainingSeconds: 30 });
      accepting(frame, ctx);
    });
    const c = client(gw);
    const warned = next(c, "tokenPrivilegeWillExpire");

    await expect(c.login({ uid: "alice", token: "007a" })).resolves.toEqual(loginResult("alice"));
    expect(await warned).toEqual({ event: "tokenPrivilegeWillExpire", expiresAt: 2_000_000_000, remainingSeconds: 30 });
    expect(c.state).toBe("CONNECTED");
  });

  it("tokenExpired is forwarded", async () => {
    const gw = await gateway((frame, ctx) => {
      accepting(frame, ctx);
      ctx.send({ event: "tokenExpired" });
    });
    const c = client(gw);
    const expired = next(c, "tokenExpired");
    await c.login({ uid: "alice", token: "007a" });
    expect(await expired).toEqual({ event: "tokenExpired" });
  });

  it("accepts a WebSocketImpl (here ws' class, used through its WHATWG interface)", async () => {
    const gw = await gateway(accepting);
    const c = client(gw, { WebSocketImpl: WebSocket });
    await expect(c.login({ uid: "alice" })).resolves.toEqual(loginResult("alice"));
  });

  it("rejects bad options synchronously", () => {
    expect(() => createRtmClient({ url: "ws://x", appId: APP_ID, profile: "rtm3" as "rtm1" })).toThrow(TypeError);
    expect(() => createRtmClient({ url: "ws://x", appId: APP_ID, loginTimeoutMs: 0 })).toThrow(TypeError);
  });

  it("a malformed URL rejects the login instead of throwing", async () => {
    const c = createRtmClient({ url: "not a url", appId: APP_ID });
    await expect(c.login({ uid: "alice" })).rejects.toMatchObject({ reason: "connection_closed" });
  });

  it("error messages never contain the token", async () => {
    const gw = await gateway(() => {});
    const c = client(gw, { loginTimeoutMs: 20 });
    const error = await rejection(c.login({ uid: "alice", token: "007SECRETTOKEN" }));
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain("SECRET");
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
