/**
 * Hostile and malformed input against a real gateway (docs/protocol.md, "Protocol violations"): every
 * case asserts the exact close code or error reply, and afterwards the same gateway still serves
 * a valid login and no promise was left rejected. Also the upgrade guards (404, 503, 429), the
 * login deadline (4001) and the plain HTTP routes (healthz 200, /rtm 426).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { APPS, startHarness, T0, type Harness } from "../support/gateway-harness.js";

// ---- a small raw client ----

type Frame = Record<string, unknown>;

interface Closed {
  readonly code: number;
  readonly reason: string;
}

class RawClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on("message", (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake();
    });
    this.ws.on("error", () => {
      /* surfaced through `closed` */
    });
    this.closed = new Promise((resolve) => this.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => this.wake());
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("close", (code) => reject(new Error(`closed before open (${code})`)));
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Sends a request and resolves with the reply carrying its id (events are skipped). */
  async request(frame: Frame & { id: number }): Promise<Frame> {
    this.send(frame);
    return this.reply(frame.id);
  }

  async reply(id: number, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find((f) => f["id"] === id);
      if (found !== undefined) return found;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed before reply ${id}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply ${id} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The close the gateway chose, failing after `timeoutMs`. */
  closeCode(timeoutMs = 3000): Promise<Closed> {
    return withTimeout(this.closed, timeoutMs, "close");
  }

  dispose(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    }),
  ]);
}

/** The HTTP status of a refused upgrade (ws emits 'unexpected-response'); throws if it was accepted. */
function upgradeStatus(url: string): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on("unexpected-response", (req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      ws.on("open", () => {
        reject(new Error("upgrade was accepted"));
        ws.terminate();
      });
      ws.on("error", () => {
        /* after unexpected-response the request is torn down */
      });
    }),
    3000,
    "upgrade answer",
  );
}

const clients: RawClient[] = [];
async function connect(url: string): Promise<RawClient> {
  const c = new RawClient(url);
  clients.push(c);
  await c.opened();
  return c;
}

// ---- the unhandled-rejection watch ----

const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => {
  rejections.push(reason);
};

beforeAll(() => {
  process.on("unhandledRejection", onRejection);
});
afterAll(() => {
  process.off("unhandledRejection", onRejection);
  for (const c of clients) c.dispose();
});

// ---- the cases ----

interface Vector {
  readonly name: string;
  readonly appId: string;
  readonly appCertificate: string;
  readonly uid: string;
  readonly token: string;
}
const VECTORS = JSON.parse(readFileSync(new URL("../conformance/vectors/rtm-tokens.json", import.meta.url), "utf8")) as Vector[];
const ZLIB_BOMB = VECTORS.find((v) => v.name === "007-zlib-bomb");

describe("malformed frames against one gateway", () => {
  let h: Harness;
  let url: string;
  /** A session logged in before the abuse starts; it must survive all of it. */
  let bystander: RawClient;

  beforeAll(async () => {
    h = await startHarness();
    url = h.gateway.url;
    if (ZLIB_BOMB === undefined) throw new Error("vector 007-zlib-bomb missing");
    const bomb = ZLIB_BOMB;
    await h.store.update(bomb.appId, () => ({
      appId: bomb.appId,
      noCertificate: false,
      primary: { value: bomb.appCertificate, enabledAt: T0 - 86_400, activeAt: T0 - 86_400 },
      secondary: null,
      enabled: true,
      version: 0,
    }));
    bystander = await connect(url);
    const r = await bystander.request({ id: 1, op: "login", appId: APPS.token.appId, uid: "bystander", token: h.token("token", "bystander") });
    expect(r).toMatchObject({ ok: true, op: "login" });
  });

  afterAll(async () => {
    await h?.close();
  });

  describe("protocol violations: one error frame naming the violation, then close 4500", () => {
    const RULE =
      "each frame must be one JSON text frame, an object with a positive integer id and an op of login, renewToken, logout or ping (a login's profile rtm1 or rtm2); the gateway closes with 4500";
    const violation = (v: string): Frame => ({ event: "protocolViolation", violation: v, closeCode: 4500, message: `${v}: ${RULE}` });
    const CASES: ReadonlyArray<readonly [string, string, string]> = [
      ["not JSON", "hello, gateway", "frame is not JSON"],
      ["truncated JSON", '{"id":1,"op":"login"', "frame is not JSON"],
      ["empty text frame", "", "frame is not JSON"],
      ["JSON array", JSON.stringify([{ id: 1, op: "ping" }]), "frame is not a JSON object"],
      ["JSON string", JSON.stringify("ping"), "frame is not a JSON object"],
      ["JSON null", "null", "frame is not a JSON object"],
      ["JSON number", "12", "frame is not a JSON object"],
      ["missing id", JSON.stringify({ op: "ping" }), "id is not a positive integer"],
      ["id 0", JSON.stringify({ id: 0, op: "ping" }), "id is not a positive integer"],
      ["id -1", JSON.stringify({ id: -1, op: "ping" }), "id is not a positive integer"],
      ["id 1.5", JSON.stringify({ id: 1.5, op: "ping" }), "id is not a positive integer"],
      ['id "1"', JSON.stringify({ id: "1", op: "ping" }), "id is not a positive integer"],
      ["unknown op", JSON.stringify({ id: 1, op: "publish" }), "unknown op"],
      ["missing op", JSON.stringify({ id: 1 }), "unknown op"],
      ["unknown profile", JSON.stringify({ id: 1, op: "login", appId: APPS.appid.appId, uid: "u", profile: "rtm3" }), "unknown profile"],
    ];
    it.each(CASES)("%s", async (_label, text, named) => {
      const c = await connect(url);
      c.ws.send(text);
      expect((await c.closeCode()).code).toBe(4500);
      // The frame arrived before the close, and repeats nothing the client sent.
      expect(c.frames).toEqual([violation(named)]);
      if (text.length > 2) expect(JSON.stringify(c.frames)).not.toContain(text);
    });

    it("binary frame", async () => {
      const c = await connect(url);
      c.ws.send(Buffer.from(JSON.stringify({ id: 1, op: "ping" })), { binary: true });
      expect((await c.closeCode()).code).toBe(4500);
      expect(c.frames).toEqual([violation("binary frame")]);
    });

    it("a violation after a successful login ends that session too", async () => {
      const c = await connect(url);
      const r = await c.request({ id: 1, op: "login", appId: APPS.appid.appId, uid: "violator" });
      expect(r).toMatchObject({ ok: true });
      expect(h.gateway.sessions.list({ uid: "violator" })).toHaveLength(1);
      c.ws.send("{nope");
      expect((await c.closeCode()).code).toBe(4500);
      expect(c.frames.at(-1)).toEqual(violation("frame is not JSON"));
      await until(() => h.gateway.sessions.list({ uid: "violator" }).length === 0);
    });
  });

  describe("frame size (maxFrameBytes 16384)", () => {
    it("a frame of 16385 bytes closes with 1009", async () => {
      const c = await connect(url);
      const base = JSON.stringify({ id: 1, op: "ping", pad: "" });
      const text = JSON.stringify({ id: 1, op: "ping", pad: "x".repeat(16_385 - base.length) });
      expect(Buffer.byteLength(text)).toBe(16_385);
      c.ws.send(text);
      expect((await c.closeCode()).code).toBe(1009);
    });

    it("a frame of exactly 16384 bytes is read", async () => {
      const c = await connect(url);
      const base = JSON.stringify({ id: 1, op: "ping", pad: "" });
      const text = JSON.stringify({ id: 1, op: "ping", pad: "x".repeat(16_384 - base.length) });
      expect(Buffer.byteLength(text)).toBe(16_384);
      expect(await c.request(JSON.parse(text) as Frame & { id: number })).toMatchObject({ id: 1, ok: true, op: "ping" });
    });

    it("a 1 MiB frame closes with 1009", async () => {
      const c = await connect(url);
      c.ws.send("[" + "1,".repeat(512 * 1024) + "1]");
      expect((await c.closeCode()).code).toBe(1009);
    });
  });

  describe("mistyped login fields get an error reply, the socket stays open", () => {
    type Case = readonly [label: string, frame: Frame, error: { code: number; name: string; reason: string }];
    const login = (over: Frame): Frame => ({ op: "login", appId: APPS.token.appId, uid: "mallory", ...over });
    const ARG1 = { code: 3, name: "LOGIN_ERR_INVALID_ARGUMENT" };
    const ARG2 = { code: -10005, name: "RTM_ERROR_INVALID_TOKEN" };
    const CASES: readonly Case[] = [
      ["token a number (rtm1)", login({ token: 7 }), { ...ARG1, reason: "malformed" }],
      ["token an object (rtm1)", login({ token: { t: "007" } }), { ...ARG1, reason: "malformed" }],
      ["token an array (rtm1)", login({ token: ["007"] }), { ...ARG1, reason: "malformed" }],
      ["token a boolean (rtm1)", login({ token: true }), { ...ARG1, reason: "malformed" }],
      ["token a number (rtm2)", login({ token: 7, profile: "rtm2" }), { ...ARG2, reason: "malformed" }],
      ["token an object (rtm2)", login({ token: {}, profile: "rtm2" }), { ...ARG2, reason: "malformed" }],
      ["uid a number (rtm1)", login({ uid: 42, token: null }), { code: 3, name: "LOGIN_ERR_INVALID_ARGUMENT", reason: "invalid_uid" }],
      ["uid an object (rtm1)", login({ uid: { u: 1 }, token: null }), { code: 3, name: "LOGIN_ERR_INVALID_ARGUMENT", reason: "invalid_uid" }],
      ["uid missing (rtm1)", { op: "login", appId: APPS.token.appId }, { code: 3, name: "LOGIN_ERR_INVALID_ARGUMENT", reason: "invalid_uid" }],
      ["uid a number (rtm2)", login({ uid: 42, token: null, profile: "rtm2" }), { code: -10006, name: "RTM_ERROR_INVALID_USER_ID", reason: "invalid_uid" }],
      ["appId a number (rtm1)", login({ appId: 12345 }), { code: 4, name: "LOGIN_ERR_INVALID_APP_ID", reason: "unknown_app_id" }],
      ["appId missing (rtm1)", { op: "login", uid: "mallory" }, { code: 4, name: "LOGIN_ERR_INVALID_APP_ID", reason: "unknown_app_id" }],
      ["appId a number (rtm2)", login({ appId: 12345, profile: "rtm2" }), { code: -10003, name: "RTM_ERROR_INVALID_APP_ID", reason: "unknown_app_id" }],
    ];
    it.each(CASES)("%s", async (_label, frame, error) => {
      const c = await connect(url);
      const r = await c.request({ id: 5, ...frame });
      expect(r).toEqual({ id: 5, ok: false, op: "login", error: { ...error, message: expect.any(String) } });
      // Still open and answering.
      expect(await c.request({ id: 6, op: "ping" })).toMatchObject({ id: 6, ok: true, op: "ping" });
    });
  });

  describe("hostile tokens are refused as malformed", () => {
    const MALFORMED_1 = { code: 5, name: "LOGIN_ERR_INVALID_TOKEN", reason: "malformed" };
    const MALFORMED_2 = { code: -10005, name: "RTM_ERROR_INVALID_TOKEN", reason: "malformed" };

    async function loginWith(appId: string, uid: string, token: string, profile: "rtm1" | "rtm2" = "rtm1"): Promise<Frame> {
      const c = await connect(url);
      const r = await c.request({ id: 9, op: "login", appId, uid, token, profile });
      expect(await c.request({ id: 10, op: "ping" })).toMatchObject({ ok: true });
      return r;
    }

    it("a 3000-character token (over the 2048 cap) → malformed, code 5", async () => {
      const r = await loginWith(APPS.token.appId, "mallory", "007" + "A".repeat(2997));
      expect(r).toMatchObject({ id: 9, ok: false, op: "login", error: MALFORMED_1 });
    });

    it("a 3000-character token (rtm2) → malformed, -10005", async () => {
      const r = await loginWith(APPS.token.appId, "mallory", "007" + "A".repeat(2997), "rtm2");
      expect(r).toMatchObject({ ok: false, error: MALFORMED_2 });
    });

    it("the zlib-bomb vector (007-zlib-bomb) → malformed", async () => {
      const v = ZLIB_BOMB!;
      expect(v.token.length).toBeLessThanOrEqual(2048);
      const r = await loginWith(v.appId, v.uid, v.token);
      expect(r).toMatchObject({ ok: false, error: MALFORMED_1 });
    });

    it("the zlib-bomb vector on another project → still malformed (decoded before the App ID check)", async () => {
      const r = await loginWith(APPS.token.appId, "alice", ZLIB_BOMB!.token, "rtm2");
      expect(r).toMatchObject({ ok: false, error: MALFORMED_2 });
    });

    it("a URL-safe base64 token (- and _ for + and /) → malformed", async () => {
      let good = "";
      for (let i = 0; i < 50 && !/[+/]/.test(good.slice(3)); i++) good = h.token("token", "mallory");
      expect(good.slice(3)).toMatch(/[+/]/);
      const urlSafe = good.slice(0, 3) + good.slice(3).replace(/\+/g, "-").replace(/\//g, "_");
      const r = await loginWith(APPS.token.appId, "mallory", urlSafe);
      expect(r).toMatchObject({ ok: false, error: MALFORMED_1 });
    });

    const good007 = (): string => h.token("token", "mallory");
    const BAD_BASE64: ReadonlyArray<readonly [string, (t: string) => string]> = [
      ["a character outside the alphabet", (t) => `${t.slice(0, 10)}!${t.slice(11)}`],
      ["a space inside", (t) => `${t.slice(0, 10)} ${t.slice(11)}`],
      ["padding stripped / length not a multiple of 4", (t) => `${t}A`],
      ["padding in the middle", (t) => `${t.slice(0, 12)}====${t.slice(16)}`],
      ["a non-ASCII character", (t) => `${t.slice(0, 10)}é${t.slice(11)}`],
      ["prefix only", () => "007"],
    ];
    it.each(BAD_BASE64)("invalid base64: %s → malformed", async (_label, mutate) => {
      const r = await loginWith(APPS.token.appId, "mallory", mutate(good007()));
      expect(r).toMatchObject({ ok: false, error: MALFORMED_1 });
    });

    it("an 006 token whose App ID part is not hex → malformed", async () => {
      const t = h.token("token", "mallory", { version: "006" });
      const r = await loginWith(APPS.token.appId, "mallory", `006${"z".repeat(32)}${t.slice(35)}`);
      expect(r).toMatchObject({ ok: false, error: MALFORMED_1 });
    });
  });

  describe("renewToken with a missing or mistyped token after login", () => {
    it("rtm1: code 2 RENEW_TOKEN_ERR_INVALID_ARGUMENT, reason malformed; the session keeps going", async () => {
      const c = await connect(url);
      const uid = "renewer1";
      expect(await c.request({ id: 1, op: "login", appId: APPS.token.appId, uid, token: h.token("token", uid) })).toMatchObject({ ok: true });
      const want = { ok: false, op: "renewToken", error: { code: 2, name: "RENEW_TOKEN_ERR_INVALID_ARGUMENT", reason: "malformed", message: expect.any(String) } };
      expect(await c.request({ id: 2, op: "renewToken", token: "" })).toEqual({ id: 2, ...want });
      expect(await c.request({ id: 3, op: "renewToken" })).toEqual({ id: 3, ...want });
      expect(await c.request({ id: 4, op: "renewToken", token: null })).toEqual({ id: 4, ...want });
      expect(await c.request({ id: 5, op: "renewToken", token: 1234 })).toEqual({ id: 5, ...want });
      expect(await c.request({ id: 6, op: "renewToken", token: { token: "007" } })).toEqual({ id: 6, ...want });
      // Argument errors do not use up the per-second calls: a real renew still goes through.
      expect(await c.request({ id: 7, op: "renewToken", token: h.token("token", uid, { expireSeconds: 7200 }) })).toMatchObject({ id: 7, ok: true, op: "renewToken" });
      expect(h.gateway.sessions.list({ uid })).toHaveLength(1);
    });

    it("rtm2: -10005 RTM_ERROR_INVALID_TOKEN, reason malformed", async () => {
      const c = await connect(url);
      const uid = "renewer2";
      expect(await c.request({ id: 1, op: "login", appId: APPS.token.appId, uid, token: h.token("token", uid), profile: "rtm2" })).toMatchObject({ ok: true });
      expect(await c.request({ id: 2, op: "renewToken", token: "" })).toMatchObject({
        id: 2,
        ok: false,
        op: "renewToken",
        error: { code: -10005, name: "RTM_ERROR_INVALID_TOKEN", reason: "malformed" },
      });
      expect(await c.request({ id: 3, op: "renewToken", token: 5 })).toMatchObject({ ok: false, error: { code: -10005, reason: "malformed" } });
    });

    it("rtm1: a hostile token in a renew → RENEW_TOKEN_ERR_INVALID_TOKEN (6), malformed", async () => {
      const c = await connect(url);
      const uid = "renewer3";
      expect(await c.request({ id: 1, op: "login", appId: APPS.token.appId, uid, token: h.token("token", uid) })).toMatchObject({ ok: true });
      expect(await c.request({ id: 2, op: "renewToken", token: "007" + "A".repeat(2997) })).toMatchObject({
        ok: false,
        error: { code: 6, name: "RENEW_TOKEN_ERR_INVALID_TOKEN", reason: "malformed" },
      });
    });
  });

  describe("after all of that", () => {
    it("the gateway still accepts a valid login on a new connection, and the bystander session is alive", async () => {
      const c = await connect(url);
      const r = await c.request({ id: 1, op: "login", appId: APPS.token.appId, uid: "afterwards", token: h.token("token", "afterwards") });
      expect(r).toMatchObject({ id: 1, ok: true, op: "login", result: { appId: APPS.token.appId, uid: "afterwards", credential: "token", tokenVersion: "007" } });
      expect(await bystander.request({ id: 99, op: "ping" })).toMatchObject({ id: 99, ok: true });
      expect(h.gateway.sessions.list({ uid: "bystander" })).toHaveLength(1);
    });

    it("no unhandled promise rejection happened", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rejections).toEqual([]);
    });
  });
});

describe("upgrade guards and HTTP routes", () => {
  it("a path other than /rtm is refused with 404", async () => {
    const h = await startHarness();
    try {
      const base = h.gateway.url.replace(/\/rtm$/, "");
      expect(await upgradeStatus(`${base}/`)).toBe(404);
      expect(await upgradeStatus(`${base}/rtm2`)).toBe(404);
      expect(await upgradeStatus(`${base}/rtm/`)).toBe(404);
      expect(await upgradeStatus(`${base}/RTM`)).toBe(404);
      // A query string on /rtm is fine.
      const c = await connect(`${h.gateway.url}?sdk=web`);
      expect(await c.request({ id: 1, op: "ping" })).toMatchObject({ ok: true });
      c.dispose();
    } finally {
      await h.close();
    }
  });

  it("maxConnections: 2 → the third upgrade gets 503", async () => {
    const h = await startHarness({ maxConnections: 2 });
    try {
      const a = await connect(h.gateway.url);
      const b = await connect(h.gateway.url);
      expect(await upgradeStatus(h.gateway.url)).toBe(503);
      // Once one leaves, there is room again.
      a.ws.close();
      await a.closed;
      await until(() => h.gateway.sessions.connectionCount < 2);
      const c = await connect(h.gateway.url);
      expect(await c.request({ id: 1, op: "ping" })).toMatchObject({ ok: true });
      b.dispose();
      c.dispose();
    } finally {
      await h.close();
    }
  });

  it("perIpConnectionsPerSecond: 2 → the third upgrade in the same second gets 429", async () => {
    const h = await startHarness({ perIpConnectionsPerSecond: 2 });
    try {
      // The limit counts per wall-clock second: start early in one so all three land in it.
      const ms = Date.now() % 1000;
      if (ms > 600) await new Promise((resolve) => setTimeout(resolve, 1005 - ms));
      const a = await connect(h.gateway.url);
      const b = await connect(h.gateway.url);
      expect(await upgradeStatus(h.gateway.url)).toBe(429);
      a.dispose();
      b.dispose();
    } finally {
      await h.close();
    }
  });

  it("loginDeadlineSeconds: 1 → a connection without login is closed with 4001 within ~1.5 s", async () => {
    const h = await startHarness({ loginDeadlineSeconds: 1 });
    try {
      const started = Date.now();
      const idle = await connect(h.gateway.url);
      // A connection that logs in is not closed.
      const busy = await connect(h.gateway.url);
      expect(await busy.request({ id: 1, op: "login", appId: APPS.appid.appId, uid: "quick" })).toMatchObject({ ok: true });
      // Pings do not count as a login.
      expect(await idle.request({ id: 1, op: "ping" })).toMatchObject({ ok: true });
      const closed = await idle.closeCode(2500);
      const elapsed = Date.now() - started;
      expect(closed.code).toBe(4001);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(1500);
      expect(busy.ws.readyState).toBe(WebSocket.OPEN);
      busy.dispose();
    } finally {
      await h.close();
    }
  });

  it("GET /healthz → 200 {status: ok}; GET /rtm over plain HTTP → 426", async () => {
    const h = await startHarness();
    try {
      const health = await fetch(`${h.gateway.httpUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get("content-type")).toMatch(/application\/json/);
      expect(await health.json()).toEqual({ status: "ok" });
      const rtm = await fetch(`${h.gateway.httpUrl}/rtm`);
      expect(rtm.status).toBe(426);
      expect(await rtm.json()).toMatchObject({ error: { code: "upgrade_required" } });
      const other = await fetch(`${h.gateway.httpUrl}/nowhere`);
      expect(other.status).toBe(404);
      await other.body?.cancel();
    } finally {
      await h.close();
    }
  });

  it("no unhandled promise rejection happened in this file", () => {
    expect(rejections).toEqual([]);
  });
});

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
