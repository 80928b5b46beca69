/**
 * Frame fuzzing (issue 11, Build item 9): at least 100,000 client frames (× CHAOS_SCALE) with a
 * fixed seed (CHAOS_SEED overrides it) against a real gateway in its own process on 127.0.0.1,
 * pipelined in batches over several raw connections.
 *
 * Each connection gets one batch: requests the protocol accepts (valid `id`, known `op` and
 * profile) with fuzzed fields (wrong types, unknown and duplicate keys, huge ids, unicode, deep
 * nesting, long strings, genuine and forged tokens for the three auth modes), sometimes fragmented,
 * then usually one terminal frame: a protocol violation (not JSON, truncated JSON, not an object,
 * bad id, unknown op or profile), a binary frame, an oversize frame, invalid UTF-8, a frame RFC 6455
 * forbids (unmasked, reserved opcode, RSV bits, long or fragmented control frames, a stray
 * continuation, bad close codes), a close from the client, or half a frame and a FIN.
 *
 * Whether a text frame is a request or a violation is decided here by the rules of
 * docs/protocol.md, "Requests", independently of the gateway's parser.
 *
 * Asserted: every request gets exactly one reply, in order, well-formed, of the documented shape,
 * with a code/name pair of the wire table for its reason; every event is well-formed; each batch
 * ends with exactly the close code its terminal frame calls for (4500, 1009, 1007, 1002, the echo
 * of a client close), all documented; no login or renew with a forged token is ever accepted, and
 * a token-only project never accepts a login without a genuine token; /healthz answers 200
 * throughout; afterwards the gateway holds no connection, session, timer or deadline, and its heap
 * (after a forced GC) and RSS are back near the baseline taken after a warm-up.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BenchChild } from "../../bench/bench-ipc.js";
import { REASONS, type FailureReason } from "../../core/errors.js";
import { PROFILES, RTM1_REASON, RTM1_STATE, RTM2_OPERATION, RTM2_REASON, RTM2_STATE, type Op, type Profile } from "../../core/protocol/wire.js";
import { uidProblem } from "../../core/session/uid-rules.js";
import { buildRtmToken } from "../../core/token/index.js";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import { errorCode } from "../../gateway/sessions/session-manager.js";
import { ChaosRandom, chaosSeed, scaled } from "./support/chaos-config.js";
import { FuzzSocket, OPCODE, clientFrame, textFrame, type RawClose } from "./support/raw-frames.js";

const SEED = chaosSeed(0x0f2a_3e11);
const FRAMES = scaled(100_000);
const WORKERS = 8;
const MAX_FRAME = 16_384;
/** Heap growth allowed after the run (after a forced GC in the gateway's process): V8's own caches. */
const MAX_HEAP_GROWTH = 8 * 1024 * 1024;
/** RSS growth allowed: freed memory is not always returned to the OS at once (allocator arenas). */
const MAX_RSS_GROWTH = 64 * 1024 * 1024;
const OPS: readonly Op[] = ["login", "renewToken", "logout", "ping"];
const PROJECT = Object.fromEntries(DEV_PROJECTS.map((p) => [p.mode, p])) as Record<"appid" | "either" | "token", (typeof DEV_PROJECTS)[number]>;
const CHILD = new URL("../../dist/bench/soak-gateway.js", import.meta.url);

// ---------------------------------------------------------------- the oracle (docs/protocol.md, "Requests")

type Classified = { readonly kind: "violation" } | { readonly kind: "request"; readonly id: number; readonly op: Op };

/** What the gateway must do with one text frame: answer it (id, op), or close with 4500. */
function classify(text: string): Classified {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: "violation" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { kind: "violation" };
  const f = v as Record<string, unknown>;
  const id = f["id"];
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return { kind: "violation" };
  const op = f["op"];
  if (typeof op !== "string" || !(OPS as readonly string[]).includes(op)) return { kind: "violation" };
  // The profile names the codes a login speaks; absent (or null) means rtm1, anything else is unknown.
  if (op === "login" && f["profile"] !== undefined && f["profile"] !== null && !(PROFILES as readonly unknown[]).includes(f["profile"])) return { kind: "violation" };
  return { kind: "request", id, op: op as Op };
}

// ---------------------------------------------------------------- tokens

type Mode = "appid" | "either" | "token";

/** A token made for the test: genuine (verifies for `uid` on `mode`'s project) or not. */
interface TokenPlan {
  readonly value: unknown;
  /** Verifies for this uid on this project now. */
  readonly genuineFor: { readonly uid: string; readonly mode: Mode } | null;
}

let now = Math.floor(Date.now() / 1000);
let salt = 1;

function mint(mode: "either" | "token", uid: string, version: "006" | "007", over: { certificate?: string; issueTs?: number; expireSeconds?: number } = {}): string {
  return buildRtmToken({
    version,
    appId: PROJECT[mode].appId,
    certificate: over.certificate ?? PROJECT[mode].certificate!,
    uid,
    expireSeconds: over.expireSeconds ?? 3600,
    issueTs: over.issueTs ?? now,
    salt: salt++,
  });
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A token that must not verify for `uid` on either certificate project. */
function forged(r: ChaosRandom, uid: string): unknown {
  const mode = r.pick(["either", "token"] as const);
  const version = r.pick(["006", "007"] as const);
  const real = mint(mode, uid, version);
  switch (r.int(11)) {
    case 0:
      return mint(mode, `${uid}-other`, version); // another user's token
    case 1:
      return mint(mode, uid, version, { certificate: "0123456789abcdef0123456789abcdef" }); // a certificate nobody has
    case 2:
      return mint(mode, uid, version, { issueTs: now - 7_200 }); // expired an hour ago
    case 3:
      return real.slice(0, r.between(0, real.length - 1)); // truncated
    case 4: {
      // A flipped bit in the signature, re-encoded canonically.
      if (version === "006") {
        const c = Buffer.from(real.slice(35), "base64");
        const at = 2 + r.int(32);
        c[at] = c[at]! ^ (1 << r.int(8));
        return real.slice(0, 35) + c.toString("base64");
      }
      return `${real.slice(0, 3)}${"A".repeat(4)}${real.slice(7)}`; // a damaged zlib header
    }
    case 5: {
      let s = r.pick(["006", "007", ""]);
      for (let i = r.int(600); i > 0; i--) s += B64[r.int(64)];
      return s;
    }
    case 6:
      return `007${"A".repeat(2046 + r.int(4))}`; // around MAX_TOKEN_LENGTH
    case 7:
      return r.pick([PROJECT.token.appId, PROJECT.either.appId]); // the App ID as a token (rtm2: no token)
    case 8:
      return r.pick([42, true, { token: real }, [real], -1.5]);
    case 9: {
      // URL-safe alphabet; a token without + or / gets a trailing space instead (never unchanged).
      const urlSafe = real.replace(/\+/g, "-").replace(/\//g, "_");
      return urlSafe === real || r.chance(0.5) ? `${urlSafe}${r.pick([" ", "\n", "%3D"])}` : urlSafe;
    }
    default:
      return `${r.pick(["005", "008", "0O7"])}${real.slice(3)}`;
  }
}

// ---------------------------------------------------------------- fuzzed values

const STRINGS = ["", " ", "null", "undefined", "ユーザー", "👩‍💻", "\u0000", "\u202e", "é", "\ud800", "__proto__", "constructor", "' OR 1=1 --", "%00", "../../etc/passwd", "1e309", '{"id":1}', "\r\n"];

function fuzzString(r: ChaosRandom): string {
  if (r.chance(0.15)) return r.pick(["x", "ü", "\u4e2d", "ab"]).repeat(r.between(65, 3000));
  return r.pick(STRINGS);
}

function nested(depth: number, leaf: unknown, arrays: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
}

function fuzzValue(r: ChaosRandom, depth = 0): unknown {
  switch (r.int(depth > 2 ? 5 : 8)) {
    case 0:
      return r.pick([0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, 2 ** 31]);
    case 1:
      return r.chance(0.5);
    case 2:
      return null;
    case 3:
    case 4:
      return fuzzString(r);
    case 5:
      return Array.from({ length: r.int(4) }, () => fuzzValue(r, depth + 1));
    case 6:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(["__proto__", "constructor", "toString", "id", "op", "é", ""]), fuzzValue(r, depth + 1)]));
    default:
      return nested(r.between(50, 1_500), r.pick([1, "x", null]), r.chance(0.5));
  }
}

// ---------------------------------------------------------------- one batch

/** What one client message is expected to bring. */
type Expect =
  | { readonly kind: "reply"; readonly id: number; readonly op: Op; readonly token: TokenPlan | null; readonly mode: Mode | "other"; readonly uid: unknown }
  | { readonly kind: "none" };

interface Batch {
  readonly bytes: Buffer[];
  /** WebSocket frames in `bytes`. */
  frames: number;
  readonly expects: Expect[];
  /** The close the terminal frame calls for: a code, null (no close frame), or "echo" of ours (1000). */
  readonly close: { readonly label: string; readonly codes: ReadonlyArray<number | null> };
}

interface BatchState {
  readonly r: ChaosRandom;
  readonly tag: string;
  nextId: number;
  nextUid: number;
  readonly ids: Set<number>;
  /** The uid this batch last tried to log in with, for renew tokens. */
  lastUid: { uid: string; mode: Mode } | null;
}

function uniqueId(s: BatchState): number {
  for (;;) {
    const id = s.r.chance(0.05) ? Number.MAX_SAFE_INTEGER - s.r.int(1_000_000) : s.nextId++;
    if (!s.ids.has(id)) {
      s.ids.add(id);
      return id;
    }
  }
}

function loginFields(s: BatchState): { fields: Record<string, unknown>; token: TokenPlan | null; mode: Mode | "other"; uid: unknown } {
  const r = s.r;
  const mode = r.weighted<Mode | "other">([
    [3, "token"],
    [2, "either"],
    [2, "appid"],
    [1, "other"],
  ]);
  const appId: unknown =
    mode !== "other"
      ? PROJECT[mode].appId
      : r.weighted<unknown>([
          [2, "0123456789abcdef0123456789abcdef"],
          [1, PROJECT.token.appId.toUpperCase()],
          [2, fuzzValue(r)],
        ]);
  const unique = `${s.tag}u${s.nextUid++}`;
  let uid: unknown = r.weighted<unknown>([
    [12, unique],
    [1, ` ${unique}`],
    [1, `${unique}!#$%&()+-:;<=.>?@[]^_{}|~,`.slice(0, 64)],
    [2, fuzzString(r)],
    [1, fuzzValue(r)],
  ]);
  // A fuzzed uid that happens to be valid (" ", "constructor", …) is made unique: the same uid on
  // two connections would be a remote login (4501), which is not what this test is about.
  if (typeof uid === "string" && uid !== unique && uidProblem(uid, false) === null) uid = `${uid.slice(0, 64 - unique.length)}${unique}`;
  const fields: Record<string, unknown> = { op: "login", appId, uid };
  const profile = r.weighted<Profile | undefined | null>([
    [4, undefined],
    [3, "rtm1"],
    [3, "rtm2"],
    [1, null],
  ]);
  if (profile !== undefined) fields["profile"] = profile;
  let token: TokenPlan | null = null;
  const uidString = typeof uid === "string" && uid.length > 0 && uid.length <= 64 ? uid : null;
  if (uidString !== null) s.lastUid = { uid: uidString, mode: mode === "other" ? "token" : mode };
  const choice = r.weighted<"genuine" | "forged" | "none">([
    [4, "genuine"],
    [5, "forged"],
    [2, "none"],
  ]);
  if (choice === "genuine" && uidString !== null && (mode === "token" || mode === "either")) {
    token = { value: mint(mode, uidString, r.pick(["006", "007"] as const)), genuineFor: { uid: uidString, mode } };
  } else if (choice !== "none") {
    token = { value: forged(r, uidString ?? unique), genuineFor: null };
  }
  if (token !== null) fields["token"] = token.value;
  else if (r.chance(0.5)) fields["token"] = r.pick([null, ""]);
  return { fields, token, mode, uid };
}

/** One request frame (text) the protocol accepts, with fuzzed fields. */
function request(s: BatchState): { text: string; expect: Expect } {
  const r = s.r;
  const op = r.weighted<Op>([
    [4, "login"],
    [2, "renewToken"],
    [1, "logout"],
    [3, "ping"],
  ]);
  const id = uniqueId(s);
  let fields: Record<string, unknown> = { op };
  let token: TokenPlan | null = null;
  let mode: Mode | "other" = "other";
  let uid: unknown;
  if (op === "login") ({ fields, token, mode, uid } = loginFields(s));
  else if (op === "renewToken") {
    const last = s.lastUid;
    if (last !== null && last.mode !== "appid" && r.chance(0.5)) token = { value: mint(last.mode, last.uid, r.pick(["006", "007"] as const), { expireSeconds: 7_200 }), genuineFor: last };
    else token = { value: r.chance(0.8) ? forged(r, last?.uid ?? "nobody") : fuzzValue(r), genuineFor: null };
    if (r.chance(0.95)) fields["token"] = token.value;
    else token = null;
  }
  // Unknown fields are ignored (§2.1): junk, deep nesting, prototype names.
  if (r.chance(0.3)) for (let i = r.between(1, 3); i > 0; i--) fields[r.pick(["x", "__proto__", "constructor", "extra", "ユ", "appId2", "nested"])] = fuzzValue(r);
  const ordered = r.chance(0.5) ? { id, ...fields } : { ...fields, id };
  let text = JSON.stringify(ordered, null, r.chance(0.05) ? 2 : undefined);
  if (r.chance(0.05)) text = text.replace(`"id":${id}`, `"id":${id}.0`); // still the integer `id`
  if (r.chance(0.03)) text = `{"op":"publish",${text.slice(1)}`; // a duplicate key: the last one counts
  return { text, expect: { kind: "reply", id, op, token, mode, uid } };
}

/** Invalid UTF-8 sequences (RFC 3629): a lone continuation, an overlong, a surrogate, a cut sequence, 0xFF. */
const BAD_UTF8 = [Buffer.from([0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0xff])];

function closePayload(code: number, reason = ""): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code);
  b.write(reason, 2);
  return b;
}

/** Text frames that break §2.1 (classified as violations by the oracle). */
function violationText(s: BatchState): string {
  const r = s.r;
  const valid = JSON.stringify({ id: 1, op: r.pick(OPS), appId: PROJECT.appid.appId, uid: "v" });
  switch (r.int(8)) {
    case 0:
      return valid.slice(0, r.between(0, valid.length - 1)); // truncated JSON
    case 1:
      return r.pick(["hello, gateway", "{", "}", "{]", "{'id':1}", "{id:1,op:ping}", "NaN", "undefined", "\u0000", "[", '{"id":1,"op":"ping"}}', "{}{}"]);
    case 2:
      return JSON.stringify(r.pick<unknown>([[{ id: 1, op: "ping" }], "ping", 12, null, true, []]));
    case 3:
      return JSON.stringify({ id: r.pick<unknown>([0, -1, 1.5, "1", null, 2 ** 53, 1e300, [1], true, {}]), op: "ping" });
    case 4:
      return JSON.stringify({ op: "ping" });
    case 5:
      return JSON.stringify({ id: 7, op: r.pick<unknown>(["publish", "LOGIN", "login ", "", null, 1, "__proto__", "constructor", "toString", ["ping"]]) });
    case 6:
      return JSON.stringify({ id: 7, op: "login", appId: PROJECT.appid.appId, uid: "v", profile: r.pick<unknown>(["rtm3", "RTM1", "", 2, [], {}]) });
    default:
      return `{"id":${2 ** 53 + 2},"op":"ping"}`;
  }
}

/** The terminal frame of a batch, or none; with the close it calls for. */
function terminal(s: BatchState): { frames: Buffer[]; count: number; label: string; codes: ReadonlyArray<number | null> } | null {
  const r = s.r;
  const kind = r.weighted<string>([
    [8, "none"],
    [6, "violation"],
    [2, "binary"],
    [2, "oversize"],
    [2, "invalid-utf8"],
    [3, "rfc6455"],
    [1, "client-close"],
    [1, "half-frame"],
  ]);
  switch (kind) {
    case "none":
      return null;
    case "violation": {
      const text = violationText(s);
      if (classify(text).kind !== "violation") throw new Error(`generator bug: ${text} is not a violation`);
      return { frames: [textFrame(text)], count: 1, label: "violation", codes: [4500] };
    }
    case "binary": {
      const payload = r.chance(0.5) ? Buffer.from(JSON.stringify({ id: 1, op: "ping" })) : r.bytes(r.between(0, 2_000));
      return { frames: [clientFrame({ opcode: OPCODE.binary, payload })], count: 1, label: "binary", codes: [4500] };
    }
    case "oversize": {
      const size = r.pick([MAX_FRAME + 1, MAX_FRAME + 2, r.between(MAX_FRAME + 1, 70_000)]);
      const body = Buffer.alloc(size, 0x61);
      if (r.chance(0.3)) {
        // Two fragments that only together pass the limit.
        const half = Math.ceil(size / 2);
        return {
          frames: [clientFrame({ opcode: OPCODE.text, payload: body.subarray(0, half), fin: false }), clientFrame({ opcode: OPCODE.continuation, payload: body.subarray(half) })],
          count: 2,
          label: "oversize (fragmented)",
          codes: [1009],
        };
      }
      return { frames: [clientFrame({ opcode: r.chance(0.8) ? OPCODE.text : OPCODE.binary, payload: body })], count: 1, label: "oversize", codes: [1009] };
    }
    case "invalid-utf8": {
      const text = Buffer.from(JSON.stringify({ id: 1, op: "login", appId: PROJECT.appid.appId, uid: "u" }));
      const at = r.between(1, text.length - 1);
      const payload = Buffer.concat([text.subarray(0, at), r.pick(BAD_UTF8), text.subarray(at)]);
      return { frames: [textFrame(payload)], count: 1, label: "invalid UTF-8", codes: [1007] };
    }
    case "rfc6455": {
      const ping = Buffer.from('{"id":1,"op":"ping"}');
      const cases: Array<readonly [string, Buffer[], number]> = [
        ["unmasked frame", [clientFrame({ opcode: OPCODE.text, payload: ping, masked: false })], 1002],
        ["reserved opcode", [clientFrame({ opcode: r.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]), payload: ping })], 1002],
        ["RSV bits", [clientFrame({ opcode: OPCODE.text, payload: ping, rsv: r.between(1, 7) })], 1002],
        ["control frame over 125 bytes", [clientFrame({ opcode: OPCODE.ping, payload: Buffer.alloc(126) })], 1002],
        ["fragmented control frame", [clientFrame({ opcode: OPCODE.ping, payload: Buffer.from("p"), fin: false })], 1002],
        ["continuation without a start", [clientFrame({ opcode: OPCODE.continuation, payload: ping })], 1002],
        ["new message inside a fragmented one", [clientFrame({ opcode: OPCODE.text, payload: ping.subarray(0, 5), fin: false }), clientFrame({ opcode: OPCODE.text, payload: ping })], 1002],
        ["close with an invalid code", [clientFrame({ opcode: OPCODE.close, payload: closePayload(r.pick([0, 999, 1004, 1005, 1006, 1015, 2000, 5000])) })], 1002],
        ["close with a one-byte payload", [clientFrame({ opcode: OPCODE.close, payload: Buffer.from([3]) })], 1002],
        ["close with an invalid UTF-8 reason", [clientFrame({ opcode: OPCODE.close, payload: Buffer.concat([closePayload(1000), Buffer.from([0xff])]) })], 1007],
      ];
      const [label, frames, code] = r.pick(cases);
      return { frames, count: frames.length, label, codes: [code] };
    }
    case "client-close": {
      const code = r.pick([1000, 1001, 3000, 4000, 4999]);
      return { frames: [clientFrame({ opcode: OPCODE.close, payload: closePayload(code, r.chance(0.5) ? "bye" : "") })], count: 1, label: "client close", codes: [code] };
    }
    default: {
      // Half a frame, then FIN: the gateway sees the stream end; nothing is owed back but the close.
      const whole = textFrame('{"id":1,"op":"ping"}');
      return { frames: [whole.subarray(0, r.between(1, whole.length - 1)), Buffer.alloc(0)], count: 1, label: "half frame and FIN", codes: [null, 1006] };
    }
  }
}

function planBatch(s: BatchState, size: number): Batch {
  const bytes: Buffer[] = [];
  const expects: Expect[] = [];
  let frames = 0;
  while (expects.length < size) {
    const { text, expect: e } = request(s);
    const payload = Buffer.from(text, "utf8");
    if (payload.length > MAX_FRAME) continue; // kept for the oversize terminal
    const c = classify(payload.toString("utf8"));
    if (c.kind !== "request" || e.kind !== "reply" || c.id !== e.id || c.op !== e.op) throw new Error(`generator bug: ${text.slice(0, 200)}`);
    if (s.r.chance(0.05) && payload.length > 4) {
      // The same request in fragments, sometimes with a ping between them (RFC 6455 §5.4).
      const cut = s.r.between(1, payload.length - 1);
      bytes.push(clientFrame({ opcode: OPCODE.text, payload: payload.subarray(0, cut), fin: false }));
      if (s.r.chance(0.3)) {
        bytes.push(clientFrame({ opcode: OPCODE.ping, payload: Buffer.from("p") }));
        frames++;
      }
      bytes.push(clientFrame({ opcode: OPCODE.continuation, payload: payload.subarray(cut) }));
      frames += 2;
    } else {
      bytes.push(textFrame(payload));
      frames++;
    }
    expects.push(e);
  }
  const end = terminal(s);
  if (end === null) return { bytes, frames, expects, close: { label: "client close 1000 after the replies", codes: [1000] } };
  bytes.push(...end.frames);
  return { bytes, frames: frames + end.count, expects, close: { label: end.label, codes: end.codes } };
}

// ---------------------------------------------------------------- checking what comes back

interface Tally {
  frames: number;
  batches: number;
  replies: number;
  events: number;
  genuineAccepted: number;
  forgedRefused: number;
  renewAccepted: number;
  readonly closes: Map<string, number>;
  readonly failures: string[];
}

function fail(t: Tally, what: string): void {
  if (t.failures.length < 30) t.failures.push(what);
}

const REASON_SET = new Set<string>(REASONS);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkEvent(f: Record<string, unknown>): string | null {
  switch (f["event"]) {
    case "connectionStateChanged": {
      const state = f["state"] as keyof typeof RTM1_STATE;
      const reason = f["reason"] as keyof typeof RTM1_REASON;
      return RTM1_STATE[state] === f["stateCode"] && RTM1_REASON[reason] === f["reasonCode"] ? null : "bad connectionStateChanged";
    }
    case "linkState": {
      const ok =
        (f["currentState"] as string) in RTM2_STATE &&
        (f["previousState"] as string) in RTM2_STATE &&
        (f["operation"] as string) in RTM2_OPERATION &&
        RTM2_REASON[f["reason"] as keyof typeof RTM2_REASON] === f["reasonCode"];
      return ok ? null : "bad linkState";
    }
    case "tokenPrivilegeWillExpire":
      return typeof f["expiresAt"] === "number" && typeof f["remainingSeconds"] === "number" ? null : "bad tokenPrivilegeWillExpire";
    case "tokenExpired":
      return null;
    case "protocolViolation":
      // The error frame before a 4500 close: a fixed phrase, never an echo of the frame.
      return typeof f["violation"] === "string" && f["closeCode"] === 4500 && typeof f["message"] === "string" && (f["message"] as string).startsWith(`${f["violation"] as string}: `) ? null : "bad protocolViolation";
    default:
      return `unknown event ${String(f["event"])}`;
  }
}

/** The code/name pairs the wire table gives a reason for an op, over both profiles and both argument flags. */
function codeAllowed(op: Op, reason: FailureReason, code: unknown, name: unknown): boolean {
  if (op === "ping") return false; // a ping is never refused
  for (const p of PROFILES) {
    for (const argument of [false, true]) {
      const c = errorCode(p, op, reason, argument);
      if (c.code === code && c.name === name) return true;
    }
  }
  return false;
}

/** Checks one reply against its request; updates what the connection is logged in as. */
function checkReply(t: Tally, e: Extract<Expect, { kind: "reply" }>, f: Record<string, unknown>, session: { current: { uid: string; mode: Mode } | null }): void {
  if (f["op"] !== e.op) return fail(t, `reply ${e.id}: op ${String(f["op"])} for a ${e.op}`);
  if (f["ok"] === false) {
    const err = f["error"];
    if (!isObject(err) || typeof err["message"] !== "string" || !REASON_SET.has(err["reason"] as string) || err["reason"] === "ok") return fail(t, `reply ${e.id}: malformed error ${JSON.stringify(err)}`);
    if (!codeAllowed(e.op, err["reason"] as FailureReason, err["code"], err["name"])) return fail(t, `reply ${e.id}: ${e.op} ${String(err["reason"])} with code ${String(err["code"])} ${String(err["name"])}, not in the wire table`);
    if (e.token !== null && e.token.genuineFor === null && typeof e.token.value === "string") t.forgedRefused++;
    return;
  }
  if (f["ok"] !== true || !isObject(f["result"]) || typeof f["result"]["serverTime"] !== "number") return fail(t, `reply ${e.id}: malformed ${JSON.stringify(f).slice(0, 200)}`);
  const res = f["result"];
  switch (e.op) {
    case "login": {
      const shape =
        typeof res["sessionId"] === "string" &&
        typeof res["appId"] === "string" &&
        res["uid"] === e.uid &&
        (res["credential"] === "appid" || res["credential"] === "token") &&
        [null, "006", "007"].includes(res["tokenVersion"] as string | null) &&
        (res["expiresAt"] === null || typeof res["expiresAt"] === "number");
      if (!shape) return fail(t, `login ${e.id}: result ${JSON.stringify(res).slice(0, 200)}`);
      if (e.mode === "other") return fail(t, `login ${e.id}: accepted on an App ID that is no project`);
      if (res["appId"] !== PROJECT[e.mode].appId) return fail(t, `login ${e.id}: accepted for another App ID`);
      if (res["credential"] === "token") {
        // The one thing fuzzing must never see: a token accepted that was not made for this login.
        const g = e.token?.genuineFor;
        if (g === undefined || g === null || g.uid !== e.uid || g.mode !== e.mode) return fail(t, `login ${e.id}: FORGED TOKEN ACCEPTED on ${e.mode}: ${JSON.stringify(e.token?.value).slice(0, 80)}`);
        t.genuineAccepted++;
      } else if (e.mode === "token") return fail(t, `login ${e.id}: the token-only project accepted a login without a token`);
      session.current = { uid: e.uid as string, mode: e.mode };
      return;
    }
    case "renewToken": {
      const g = e.token?.genuineFor;
      if (g === null || g === undefined || session.current === null || g.uid !== session.current.uid || g.mode !== session.current.mode) return fail(t, `renew ${e.id}: FORGED TOKEN ACCEPTED: ${JSON.stringify(e.token?.value).slice(0, 80)}`);
      if (typeof res["expiresAt"] !== "number" || (res["tokenVersion"] !== "006" && res["tokenVersion"] !== "007")) return fail(t, `renew ${e.id}: result ${JSON.stringify(res)}`);
      t.renewAccepted++;
      return;
    }
    case "logout":
      session.current = null;
      return;
    default:
      return;
  }
}

/** Runs one batch on a new connection; resolves when the connection is gone. */
async function runBatch(port: number, batch: Batch, t: Tally, tag: string): Promise<void> {
  const ws = await FuzzSocket.open(port);
  const replies = batch.expects.filter((e): e is Extract<Expect, { kind: "reply" }> => e.kind === "reply");
  let next = 0;
  const session: { current: { uid: string; mode: Mode } | null } = { current: null };
  const terminalClose = batch.close.codes.includes(1000) && batch.close.label.startsWith("client close 1000");
  ws.onText = (text) => {
    let f: unknown;
    try {
      f = JSON.parse(text);
    } catch {
      return fail(t, `${tag}: a frame that is not JSON: ${text.slice(0, 120)}`);
    }
    if (!isObject(f)) return fail(t, `${tag}: a frame that is not an object: ${text.slice(0, 120)}`);
    if (typeof f["event"] === "string") {
      t.events++;
      const problem = checkEvent(f);
      if (problem !== null) fail(t, `${tag}: ${problem}: ${text.slice(0, 200)}`);
      return;
    }
    const e = replies[next];
    if (e === undefined || f["id"] !== e.id) return fail(t, `${tag}: reply ${String(f["id"])} out of order (expected ${String(e?.id)})`);
    next++;
    t.replies++;
    checkReply(t, e, f, session);
    if (next === replies.length && terminalClose) ws.close(1000);
  };
  ws.write(Buffer.concat(batch.bytes));
  if (replies.length === 0 && terminalClose) ws.close(1000);
  if (batch.close.label === "half frame and FIN") ws.end();
  const timer = setTimeout(() => {
    fail(t, `${tag}: no end within 15 s (${next}/${replies.length} replies, expecting ${batch.close.label})`);
    ws.destroy();
  }, 15_000);
  const closed: RawClose = await ws.ended;
  clearTimeout(timer);
  t.frames += batch.frames;
  t.batches++;
  t.closes.set(batch.close.label, (t.closes.get(batch.close.label) ?? 0) + 1);
  if (next !== replies.length) fail(t, `${tag}: ${replies.length - next} of ${replies.length} requests unanswered before ${batch.close.label} (close ${closed.code})`);
  if (!batch.close.codes.includes(closed.code)) fail(t, `${tag}: ${batch.close.label} ended with close ${closed.code}, expected ${batch.close.codes.join(" or ")}`);
  if (ws.binaryFrames > 0 || ws.badServerFrames > 0) fail(t, `${tag}: the server sent ${ws.binaryFrames} binary and ${ws.badServerFrames} malformed frames`);
}

// ---------------------------------------------------------------- the run

interface Sample {
  readonly gc: boolean;
  readonly rss: number;
  readonly heapUsed: number;
  readonly connections: number;
  readonly sessions: number;
  readonly retained: Record<string, number>;
}

let child: BenchChild;
let port: number;
let httpUrl: string;
const sample = async (): Promise<Sample> => (await child.request({ type: "sample" })) as unknown as Sample;

async function healthy(): Promise<boolean> {
  const res = await fetch(`${httpUrl}/healthz`);
  await res.body?.cancel();
  return res.status === 200;
}

/** Runs batches on WORKERS connections at a time until `frames` frames have been sent. */
async function fuzz(frames: number, seed: number, t: Tally): Promise<void> {
  let batchNo = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      const r = new ChaosRandom(seed + w);
      for (let i = 0; t.frames < frames && t.failures.length < 30; i++) {
        now = Math.floor(Date.now() / 1000); // tokens are minted against the gateway's real clock
        const tag = `w${w}b${batchNo++}`;
        const s: BatchState = { r, tag, nextId: 1, nextUid: 0, ids: new Set(), lastUid: null };
        await runBatch(port, planBatch(s, r.between(10, 90)), t, tag);
        if (i % 20 === 19 && !(await healthy())) fail(t, `${tag}: /healthz did not answer 200`);
      }
    }),
  );
}

const tally = (): Tally => ({ frames: 0, batches: 0, replies: 0, events: 0, genuineAccepted: 0, forgedRefused: 0, renewAccepted: 0, closes: new Map(), failures: [] });

beforeAll(async () => {
  if (!existsSync(CHILD)) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
  // Limits that would slow a pipelined fuzzer down are raised; everything else is the default.
  const config = { port: 0, host: "127.0.0.1", logLevel: "error", devSeed: true, callsPerSecond: 1000, pingsPerSecond: 100_000, journalSize: 1_000 };
  const started = await BenchChild.start("gateway", CHILD.href, [JSON.stringify(config)], ["--expose-gc"]);
  child = started.child;
  port = started.ready["port"] as number;
  httpUrl = started.ready["httpUrl"] as string;
}, 60_000);

afterAll(async () => {
  await child?.stop();
});

describe(`frame fuzzing: ${FRAMES} frames, ${WORKERS} connections at a time (seed ${SEED})`, () => {
  it(
    "answers every request in shape, closes with the documented code, accepts no forged token, stays up, and gives the memory back",
    async () => {
      // Warm-up (JIT, the journal's ring, pools), then the baseline.
      const warm = tally();
      await fuzz(5_000, SEED ^ 0x5a5a, warm);
      expect(warm.failures, `warm-up, seed ${SEED}`).toEqual([]);
      const before = await sample();

      const t = tally();
      const t0 = performance.now();
      await fuzz(FRAMES, SEED, t);
      const seconds = (performance.now() - t0) / 1000;
      expect(t.failures, `seed ${SEED}`).toEqual([]);
      expect(await healthy()).toBe(true);

      // Coverage: the run did what it claims.
      expect(t.frames).toBeGreaterThanOrEqual(FRAMES);
      expect(t.genuineAccepted).toBeGreaterThan(FRAMES / 100);
      expect(t.forgedRefused).toBeGreaterThan(FRAMES / 50);
      expect(t.renewAccepted).toBeGreaterThan(FRAMES / 1_000);
      for (const label of ["violation", "binary", "oversize", "invalid UTF-8", "unmasked frame", "reserved opcode", "RSV bits", "client close", "half frame and FIN"]) {
        expect(t.closes.get(label) ?? 0, label).toBeGreaterThan(0);
      }

      // Nothing left behind: connections, sessions, timers, deadlines; heap and RSS near the baseline.
      let after = await sample();
      for (let i = 0; i < 50 && after.connections > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await sample();
      }
      console.log(
        `frame fuzz: ${t.frames} frames in ${t.batches} connections, ${seconds.toFixed(1)} s (${Math.round(t.frames / seconds)}/s); ${t.replies} replies, ${t.events} events, ${t.genuineAccepted} genuine logins accepted, ${t.forgedRefused} forged tokens refused, ${t.renewAccepted} renews; ` +
          `heap after GC ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB, RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB; closes ${JSON.stringify(Object.fromEntries(t.closes))}`,
      );
      expect(after.gc).toBe(true);
      expect(after.connections).toBe(0);
      expect(after.sessions).toBe(0);
      expect(Object.values(after.retained).every((n) => n === 0), JSON.stringify(after.retained)).toBe(true);
      expect(after.heapUsed - before.heapUsed).toBeLessThan(MAX_HEAP_GROWTH);
      expect(after.rss - before.rss).toBeLessThan(MAX_RSS_GROWTH);
    },
    150_000,
  );
});
