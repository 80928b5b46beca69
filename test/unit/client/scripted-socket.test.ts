import { describe, expect, it } from "vitest";
import { createRtmClient, type WebSocketLike } from "../../../client/index.js";
import { APP_ID, loginResult, RTM1_LOGIN_EVENTS } from "./fake-gateway.js";

type Handler = (event: never) => void;

/** A socket driven by the test: it opens, delivers and closes only when told. */
class ScriptedSocket implements WebSocketLike {
  static instances: ScriptedSocket[] = [];
  readyState = 0;
  readonly url: string;
  readonly sent: string[] = [];
  readonly closeCalls: number[] = [];
  private readonly handlers = new Map<string, Handler[]>();

  constructor(url: string) {
    this.url = url;
    ScriptedSocket.instances.push(this);
  }

  addEventListener(type: "open" | "message" | "close" | "error", listener: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("not open");
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closeCalls.push(code ?? 1005);
    this.readyState = 2;
  }

  // ---- test controls ----
  open(): void {
    this.readyState = 1;
    this.fire("open", undefined);
  }

  deliver(frame: unknown): void {
    this.fire("message", { data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }

  finishClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.fire("close", { code, reason });
  }

  private fire(type: string, event: unknown): void {
    for (const handler of this.handlers.get(type) ?? []) (handler as (e: unknown) => void)(event);
  }
}

function lastSocket(): ScriptedSocket {
  const socket = ScriptedSocket.instances.at(-1);
  if (socket === undefined) throw new Error("no socket");
  return socket;
}

describe("client over a scripted socket", () => {
  it("queues the login frame until the socket opens", async () => {
    const c = createRtmClient({ url: "ws://gateway/rtm", appId: APP_ID, WebSocketImpl: ScriptedSocket });
    const login = c.login({ uid: "alice" });
    const socket = lastSocket();
    expect(socket.url).toBe("ws://gateway/rtm");
    expect(socket.sent).toEqual([]);

    socket.open();
    expect(socket.sent.map((f) => JSON.parse(f) as unknown)).toEqual([
      { id: 1, op: "login", appId: APP_ID, uid: "alice", token: null, profile: "rtm1" },
    ]);
    for (const e of RTM1_LOGIN_EVENTS) socket.deliver(e);
    socket.deliver({ id: 1, ok: true, op: "login", result: loginResult("alice") });
    await expect(login).resolves.toEqual(loginResult("alice"));
    expect(c.state).toBe("CONNECTED");
  });

  it("after a login timeout, late events and the late reply of the closing socket do not count", async () => {
    const c = createRtmClient({ url: "ws://gateway/rtm", appId: APP_ID, loginTimeoutMs: 20, WebSocketImpl: ScriptedSocket });
    const seen: string[] = [];
    c.on("connectionStateChanged", (e) => seen.push(`${e.state}/${e.reason}`));
    c.on("closed", (e) => seen.push(`closed ${e.code}`));
    const login = c.login({ uid: "alice" }).catch((e: unknown) => e);
    const socket = lastSocket();
    socket.open();

    expect(await login).toMatchObject({ code: 9, reason: "login_timeout" });
    expect(socket.closeCalls).toEqual([1000]);
    for (const e of RTM1_LOGIN_EVENTS) socket.deliver(e);
    socket.deliver({ id: 1, ok: true, op: "login", result: loginResult("alice") });
    socket.finishClose(1000);

    expect(c.state).toBe("DISCONNECTED");
    expect(seen).toEqual(["DISCONNECTED/LOGIN_TIMEOUT", "closed 1000"]);
  });

  it("logout keeps listening to the closing socket for the LOGOUT event", async () => {
    const c = createRtmClient({ url: "ws://gateway/rtm", appId: APP_ID, WebSocketImpl: ScriptedSocket });
    const login = c.login({ uid: "alice" });
    const socket = lastSocket();
    socket.open();
    for (const e of RTM1_LOGIN_EVENTS) socket.deliver(e);
    socket.deliver({ id: 1, ok: true, op: "login", result: loginResult("alice") });
    await login;

    let done = false;
    const logout = c.logout().then(() => {
      done = true;
    });
    socket.deliver({ id: 2, ok: true, op: "logout", result: { serverTime: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(socket.closeCalls).toEqual([1000]);
    expect(done).toBe(false); // resolves only once the socket has closed
    socket.deliver({ event: "connectionStateChanged", state: "DISCONNECTED", reason: "LOGOUT", stateCode: 1, reasonCode: 6 });
    socket.finishClose(1000);
    await logout;
    expect(c.state).toBe("DISCONNECTED");
  });
});
