/**
 * A scripted stand-in for the gateway: a `ws` server on 127.0.0.1, port 0, path /rtm. Each parsed
 * request is handed to the test's script together with the server-side socket.
 */
import { WebSocketServer, type WebSocket } from "ws";

/** One request frame as the fake gateway received it. */
export type Frame = Record<string, unknown> & { id: number; op: string };

/** What a script gets for each request. */
export interface ScriptContext {
  readonly socket: WebSocket;
  /** Sends one JSON frame. */
  send(frame: unknown): void;
  /** Sends an ok reply to `frame`. */
  ok(frame: Frame, result: unknown): void;
  /** Sends an error reply to `frame`. */
  fail(frame: Frame, error: { code: number; name: string; reason: string; message?: string }): void;
}

/** A running fake gateway. */
export interface FakeGateway {
  readonly url: string;
  /** Every request received, in order. */
  readonly frames: Frame[];
  /** Close codes received from clients, in order. */
  readonly clientCloseCodes: number[];
  /** Number of connections accepted so far. */
  connections(): number;
  /** The server-side sockets currently open. */
  sockets(): WebSocket[];
  stop(): Promise<void>;
}

/** Starts a fake gateway running `script` for each request. */
export async function startFakeGateway(script: (frame: Frame, ctx: ScriptContext) => void = () => {}): Promise<FakeGateway> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/rtm" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("unexpected address");
  const frames: Frame[] = [];
  const clientCloseCodes: number[] = [];
  let connections = 0;
  server.on("connection", (socket) => {
    connections++;
    socket.on("close", (code) => clientCloseCodes.push(code));
    const ctx: ScriptContext = {
      socket,
      send: (frame) => socket.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
      ok: (frame, result) => socket.send(JSON.stringify({ id: frame.id, ok: true, op: frame.op, result })),
      fail: (frame, error) =>
        socket.send(JSON.stringify({ id: frame.id, ok: false, op: frame.op, error: { message: "refused", ...error } })),
    };
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      frames.push(frame);
      script(frame, ctx);
    });
  });
  return {
    url: `ws://127.0.0.1:${address.port}/rtm`,
    frames,
    clientCloseCodes,
    connections: () => connections,
    sockets: () => [...server.clients],
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** A login result as the gateway would send it. */
export function loginResult(uid: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sessionId: "s-1",
    appId: APP_ID,
    uid,
    credential: "token",
    tokenVersion: "007",
    expiresAt: 2_000_000_000,
    serverTime: 1_900_000_000,
    ...overrides,
  };
}

/** A 32-hex App ID for the tests. */
export const APP_ID = "0123456789abcdef0123456789abcdef";

/** The rtm1 events of a successful login. */
export const RTM1_LOGIN_EVENTS = [
  { event: "connectionStateChanged", state: "CONNECTING", reason: "LOGIN", stateCode: 2, reasonCode: 1 },
  { event: "connectionStateChanged", state: "CONNECTED", reason: "LOGIN_SUCCESS", stateCode: 3, reasonCode: 2 },
] as const;

/** The rtm2 events of a successful login. */
export const RTM2_LOGIN_EVENTS = [
  { event: "linkState", currentState: "CONNECTING", previousState: "IDLE", operation: "LOGIN", reasonCode: 1, reason: "LOGIN" },
  { event: "linkState", currentState: "CONNECTED", previousState: "CONNECTING", operation: "LOGIN", reasonCode: 2, reason: "LOGIN_SUCCESS" },
] as const;
