/**
 * Token fuzzing (issue 11, Build item 9): at least 50,000 mutations (× CHAOS_SCALE) of the real
 * 006/007 tokens of the shared vectors, with a fixed seed (CHAOS_SEED overrides it), run in-process
 * through the verifier (core/token `verifyToken`) and the policy list (policies `decide`).
 *
 * The mutations: bit flips in the string, the decoded bytes and the inflated payload; truncations;
 * base64 alphabet and padding edits; zlib bombs and near-bombs; junk around MAX_TOKEN_LENGTH;
 * re-encoded 007 tokens with changed fields (not re-signed); signatures moved between tokens;
 * version swaps; garbage; and the malleated variants of docs/tokens.md (006 CRC fields, 007
 * zlib/deflate encoding), which change the string and not the signed content.
 *
 * Every case is judged against an oracle written here from docs/tokens.md (strict base64, capped
 * inflation, then: is the signed content byte-for-byte the original's?). Asserted per case: the
 * verifier and `decide` never throw; a token is accepted exactly when its signed content is
 * unchanged; every refusal carries a reason of the closed union; a decoded token's identity equals
 * the original's exactly when its signed content is unchanged.
 *
 * Separately, signed tokens at the length and inflation edges (MAX_TOKEN_LENGTH 2048,
 * MAX_INFLATED_BYTES 8192) are accepted up to the limit and refused as malformed past it.
 */
import { readFileSync } from "node:fs";
import { deflateSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { ActiveCertificate } from "../../core/certificate/active-certificate.js";
import { REASONS, TOKEN_REASONS, type Reason } from "../../core/errors.js";
import { DEFAULT_UID_QUIRKS, uidProblem } from "../../core/session/uid-rules.js";
import { DEFAULT_TOKEN_LIMITS, describeToken, parseToken, tokenIdentity, verifyToken, type ParsedToken } from "../../core/token/index.js";
import { decide, type AuthContext } from "../../policies/index.js";
import { CERT, content006 as craftContent006, ISSUE_TS, payload007 as craftPayload007, rtmService, APP_ID } from "../unit/core/token/token-fixtures.js";
import { ChaosRandom, chaosSeed, scaled } from "./support/chaos-config.js";
import {
  REDEFLATE_OPTIONS,
  lastBytePaddingVariants007,
  token007,
  withCrc006,
  withEmptyStoredBlock007,
  withStoredPadding007,
  withZlibLevel007,
} from "./support/token-variants.js";

const SEED = chaosSeed(0x7f0c_e11d);
const CASES = scaled(50_000);
const MAX_LENGTH = DEFAULT_TOKEN_LIMITS.maxTokenLength;
const MAX_INFLATED = DEFAULT_TOKEN_LIMITS.maxInflatedBytes;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// ---------------------------------------------------------------- the real tokens

interface Vector {
  readonly name: string;
  readonly appId: string;
  readonly activeCertificates: string[];
  readonly uid: string;
  readonly now: number;
  readonly token: string;
  readonly version: "006" | "007" | null;
  readonly expect: { valid: boolean };
}

interface Seed {
  readonly name: string;
  readonly version: "006" | "007";
  readonly token: string;
  readonly appId: string;
  readonly uid: string;
  readonly now: number;
  readonly certificates: readonly ActiveCertificate[];
  /** Where the base64 body starts. */
  readonly bodyAt: number;
  /** 006: the content bytes; 007: the compressed bytes. */
  readonly bytes: Buffer;
  /** 007: the inflated payload (signature + signing_info). */
  readonly payload: Buffer;
  readonly id: string;
  /** The uid passes the login's uid rules, so `decide` reaches the token check. */
  readonly decidable: boolean;
}

const VECTORS = JSON.parse(readFileSync(new URL("../conformance/vectors/rtm-tokens.json", import.meta.url), "utf8")) as Vector[];

function seedOf(v: Vector): Seed {
  const version = v.version!;
  const parsed = parseToken(v.token);
  if (!parsed.ok) throw new Error(`${v.name} does not parse`);
  const bodyAt = version === "006" ? 35 : 3;
  const bytes = Buffer.from(v.token.slice(bodyAt), "base64");
  return {
    name: v.name,
    version,
    token: v.token,
    appId: v.appId,
    uid: v.uid,
    now: v.now,
    certificates: v.activeCertificates.map((value, i) => ({ slot: i === 0 ? "primary" : "secondary", value })),
    bodyAt,
    bytes,
    payload: version === "007" ? inflateSync(bytes) : Buffer.alloc(0),
    id: tokenIdentity(parsed.token),
    decidable: uidProblem(v.uid, false) === null,
  };
}

const SEEDS: readonly Seed[] = VECTORS.filter((v) => v.expect.valid && v.version !== null).map(seedOf);

// ---------------------------------------------------------------- the oracle (docs/tokens.md, "The checks, in order")

/** The bytes of a canonical standard-base64 string, or null (§4.2). */
function canonicalBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const bytes = Buffer.from(s, "base64");
  return bytes.toString("base64") === s ? bytes : null;
}

/** True when `token` decodes, within the limits, to exactly the signed content of `seed`. */
function sameSignedContent(seed: Seed, token: string): boolean {
  if (token.length < 3 || token.length > MAX_LENGTH) return false;
  if (seed.version === "006") {
    // The prefix and clear-text App ID as written, then content equal outside the two CRC fields.
    if (token.slice(0, 35) !== seed.token.slice(0, 35)) return false;
    const c = canonicalBase64(token.slice(35));
    return c !== null && c.length === seed.bytes.length && c.subarray(0, 34).equals(seed.bytes.subarray(0, 34)) && c.subarray(42).equals(seed.bytes.subarray(42));
  }
  if (!token.startsWith("007")) return false;
  const z = canonicalBase64(token.slice(3));
  if (z === null) return false;
  try {
    const { buffer, engine } = inflateSync(z, { maxOutputLength: MAX_INFLATED, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    // One complete zlib stream and nothing after it.
    return engine.bytesWritten === z.length && buffer.equals(seed.payload);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- the mutations

type Mutator = (s: Seed, r: ChaosRandom) => string;

const body = (s: Seed): string => s.token.slice(s.bodyAt);
const head = (s: Seed): string => s.token.slice(0, s.bodyAt);

function flipBits(b: Buffer, r: ChaosRandom, count: number): Buffer {
  const out = Buffer.from(b);
  if (out.length === 0) return out;
  for (let i = 0; i < count; i++) {
    const at = r.int(out.length);
    out[at] = out[at]! ^ (1 << r.int(8));
  }
  return out;
}

/** Re-encodes changed bytes into a token of the seed's version. */
function fromBytes(s: Seed, bytes: Buffer): string {
  return head(s) + bytes.toString("base64");
}

/** A (changed) 007 payload deflated with one of the settings, not re-signed. */
function deflated(payload: Buffer, r: ChaosRandom): string {
  return token007(deflateSync(payload, r.pick(REDEFLATE_OPTIONS)));
}

// Zlib bombs and padding variants are costly to build: each built once, then reused.
const built = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  if (!built.has(key)) built.set(key, make());
  return built.get(key) as T;
}
function bomb(s: Seed, extra: number): string {
  return once(`bomb/${s.name}/${extra}`, () => token007(deflateSync(Buffer.concat([s.payload, Buffer.alloc(extra)]), { level: 9 })));
}

/** Offsets of the 007 payload fields (docs/tokens.md, "The 007 format"): signature 2..34, then signing_info. */
const F007 = { sigLen: 0, sig: 2, appIdLen: 34, appId: 36, issueTs: 68, expire: 72, salt: 76, serviceCount: 80, services: 82 } as const;
/** Offsets in the 006 content (§2.2, §2.3). */
const F006 = { sigLen: 0, sig: 2, crc: 34, mLen: 42, salt: 44, ts: 48, privCount: 52, privileges: 54 } as const;

const MUTATORS: Record<string, { readonly weight: number; readonly mutate: Mutator }> = {
  /** The signed content unchanged, the string changed (docs/tokens.md, "Malleability"). */
  malleate: {
    weight: 25,
    mutate: (s, r) => {
      if (s.version === "006") {
        const c = s.bytes;
        return r.weighted<string>([
          [3, withCrc006(s.token, r.u32(), r.u32())],
          [1, withCrc006(s.token, r.u32(), c.readUInt32LE(F006.crc + 4))],
          [1, withCrc006(s.token, c.readUInt32LE(F006.crc), r.u32())],
        ]);
      }
      switch (r.int(6)) {
        case 0:
          return token007(deflateSync(s.payload, r.pick(REDEFLATE_OPTIONS)));
        case 1:
          return withZlibLevel007(s.token, r.int(4));
        case 2:
          return withStoredPadding007(s.token, r.int(32));
        case 3:
          return withEmptyStoredBlock007(r.chance(0.5) ? s.token : token007(deflateSync(s.payload, r.pick(REDEFLATE_OPTIONS))));
        case 4: {
          const v = once(`padding/${s.name}`, () => lastBytePaddingVariants007(s.token));
          return v.length > 0 ? r.pick(v) : withZlibLevel007(s.token, r.int(4));
        }
        default:
          return withZlibLevel007(withStoredPadding007(s.token, r.int(32)), r.int(4));
      }
    },
  },
  /** One character of the string replaced (mostly from the base64 alphabet). */
  charSubstitute: {
    weight: 10,
    mutate: (s, r) => {
      const at = r.chance(0.9) ? r.between(s.bodyAt, s.token.length - 1) : r.int(s.token.length);
      const c = r.chance(0.9) ? r.pick([...B64]) : String.fromCharCode(r.int(0x3000));
      return s.token.slice(0, at) + c + s.token.slice(at + 1);
    },
  },
  /** 1–3 bit flips in the decoded bytes (006 content, 007 zlib stream), re-encoded canonically. */
  decodedBitFlip: {
    weight: 10,
    mutate: (s, r) => fromBytes(s, flipBits(s.bytes, r, r.between(1, 3))),
  },
  /** 007: 1–3 bit flips in the inflated payload, deflated again (006: in m and the signature). */
  payloadBitFlip: {
    weight: 8,
    mutate: (s, r) => {
      if (s.version === "007") return deflated(flipBits(s.payload, r, r.between(1, 3)), r);
      const c = Buffer.from(s.bytes);
      const at = r.chance(0.5) ? r.between(F006.sig, F006.crc - 1) : r.between(F006.salt, c.length - 1);
      c[at] = c[at]! ^ (1 << r.int(8));
      return fromBytes(s, c);
    },
  },
  /** Cut short: the string, the decoded bytes, or the payload before deflating. */
  truncate: {
    weight: 6,
    mutate: (s, r) => {
      switch (r.int(3)) {
        case 0:
          return s.token.slice(0, r.int(s.token.length));
        case 1:
          return fromBytes(s, s.bytes.subarray(0, r.int(s.bytes.length)));
        default:
          return s.version === "007" ? deflated(s.payload.subarray(0, r.int(s.payload.length)), r) : s.token.slice(0, 35 + 4 * r.int((s.token.length - 35) / 4));
      }
    },
  },
  /** Bytes added: after the 006 content, inside the 007 signing_info (MACed), or after the zlib stream. */
  extend: {
    weight: 5,
    mutate: (s, r) => {
      const extra = r.bytes(r.between(1, 40));
      if (s.version === "006") return fromBytes(s, Buffer.concat([s.bytes, extra]));
      return r.chance(0.5) ? deflated(Buffer.concat([s.payload, extra]), r) : token007(Buffer.concat([s.bytes, extra]));
    },
  },
  /** Base64 edits: URL-safe alphabet, whitespace, padding, pad bits, case, non-ASCII, '+' as ' '. */
  base64Edit: {
    weight: 8,
    mutate: (s, r) => {
      const b = body(s);
      const at = r.int(b.length);
      switch (r.int(9)) {
        case 0:
          return head(s) + b.replace(/\+/g, "-").replace(/\//g, "_");
        case 1:
          return head(s) + b.slice(0, at) + r.pick([" ", "\n", "\t", "\r\n"]) + b.slice(at);
        case 2:
          return head(s) + b.replace(/=+$/, "");
        case 3:
          return s.token + r.pick(["=", "==", "A", "AA=", "AAAA", "A==="]);
        case 4: {
          // Non-zero pad bits in the last data character (decodes the same, not canonical).
          const pad = b.length - b.replace(/=+$/, "").length;
          if (pad === 0) return head(s) + b.slice(0, -1) + "=";
          const last = b.length - pad - 1;
          const v = B64.indexOf(b[last]!);
          return head(s) + b.slice(0, last) + B64[v | (pad === 2 ? 1 + r.int(15) : 1 + r.int(3))]! + b.slice(last + 1);
        }
        case 5: {
          const c = b[at]!;
          const swapped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
          return head(s) + b.slice(0, at) + swapped + b.slice(at + 1);
        }
        case 6:
          return head(s) + b.slice(0, at) + r.pick(["é", "\u0000", "\uffff", "\ud800", "😀", "%2B"]) + b.slice(at + 1);
        case 7:
          return head(s) + b.replace(/\+/g, " ");
        default:
          return head(s) + b.slice(0, at) + "=" + b.slice(at + 1);
      }
    },
  },
  /** Payloads that inflate past the cap, to exactly the cap, or just over it; nested and raw streams. */
  zlibBomb: {
    weight: 4,
    mutate: (s, r) => {
      if (s.version === "006") return once("bomb/006", () => `007${deflateSync(Buffer.alloc(1 << 20), { level: 9 }).toString("base64")}`);
      switch (r.int(6)) {
        case 0:
          return bomb(s, 1 << 20); // ~1 MiB of zeros after the payload
        case 1:
          return bomb(s, MAX_INFLATED - s.payload.length); // exactly the cap: inflates, MAC fails
        case 2:
          return bomb(s, MAX_INFLATED - s.payload.length + 1); // one byte over the cap
        case 3:
          return once(`nested/${s.name}`, () => token007(deflateSync(deflateSync(Buffer.concat([s.payload, Buffer.alloc(1 << 16)])))));
        case 4:
          return `007${s.bytes.subarray(2, -4).toString("base64")}`; // raw deflate, no zlib header/trailer
        default:
          return token007(Buffer.concat([s.bytes, s.bytes])); // two streams back to back
      }
    },
  },
  /** Junk that takes the string to the lengths around MAX_TOKEN_LENGTH. */
  lengthEdge: {
    weight: 3,
    mutate: (s, r) => {
      const target = MAX_LENGTH + r.between(-3, 4);
      if (s.token.length >= target) return s.token.slice(0, target);
      return s.token + (r.chance(0.5) ? "A" : r.pick([...B64])).repeat(target - s.token.length);
    },
  },
  /** A field changed and the token re-encoded, without re-signing it. */
  reencodeChangedField: {
    weight: 10,
    mutate: (s, r) => {
      if (s.version === "006") {
        const c = Buffer.from(s.bytes);
        switch (r.int(4)) {
          case 0:
            c.writeUInt32LE(r.u32(), F006.salt);
            return fromBytes(s, c);
          case 1:
            c.writeUInt32LE(c.readUInt32LE(F006.ts) + r.between(1, 86_400), F006.ts);
            return fromBytes(s, c);
          case 2:
            c.writeUInt32LE(r.u32(), c.length - 4); // the last privilege's expiry
            return fromBytes(s, c);
          default: {
            // The clear-text App ID: one hex digit changed or its case swapped.
            const at = r.between(3, 34);
            const ch = s.token[at]!;
            const to = /[a-f]/.test(ch) ? ch.toUpperCase() : r.pick([..."0123456789abcdef"].filter((x) => x !== ch));
            return s.token.slice(0, at) + to + s.token.slice(at + 1);
          }
        }
      }
      const p = Buffer.from(s.payload);
      switch (r.int(7)) {
        case 0:
          p.writeUInt32LE(p.readUInt32LE(F007.issueTs) + r.between(-3600, 3600), F007.issueTs);
          break;
        case 1:
          p.writeUInt32LE(p.readUInt32LE(F007.expire) + r.between(1, 86_400), F007.expire);
          break;
        case 2:
          p.writeUInt32LE(r.u32(), F007.salt);
          break;
        case 3:
          p.writeUInt16LE(r.int(5), F007.serviceCount);
          break;
        case 4: {
          const at = r.between(F007.appId, F007.appId + 31);
          p[at] = r.pick([..."0123456789abcdefABCDEF"].map((c) => c.charCodeAt(0)).filter((c) => c !== p[at]));
          break;
        }
        case 5: {
          // A byte of the services (type, privileges, userId).
          const at = r.between(F007.services, p.length - 1);
          p[at] = (p[at]! + r.between(1, 255)) & 0xff;
          break;
        }
        default: {
          const at = r.between(F007.sig, F007.sig + 31);
          p[at] = p[at]! ^ (1 << r.int(8));
        }
      }
      return deflated(p, r);
    },
  },
  /**
   * The signature of another real token of the same version over other content. (A token with the
   * same content signed by the other active certificate is a genuine token, not a mutation: the
   * secondary-certificate vectors are exactly that, so they are not paired with their twins.)
   */
  transplantSignature: {
    weight: 3,
    mutate: (s, r) => {
      const signed = (o: Seed) => (o.version === "006" ? `${o.uid}/${o.bytes.subarray(34).toString("hex")}` : o.payload.subarray(34).toString("hex"));
      const other = r.pick(SEEDS.filter((o) => o.version === s.version && signed(o) !== signed(s)));
      if (s.version === "006") return fromBytes(s, Buffer.concat([s.bytes.subarray(0, 2), other.bytes.subarray(2, 34), s.bytes.subarray(34)]));
      return deflated(Buffer.concat([s.payload.subarray(0, 2), other.payload.subarray(2, 34), s.payload.subarray(34)]), r);
    },
  },
  /** The version prefix changed (the body kept). */
  versionSwap: {
    weight: 3,
    mutate: (s, r) => r.pick(["005", "008", "000", "06", "0", "", "OO7", "\u0000\u0000\u0000", s.version === "006" ? "007" : "006"]) + s.token.slice(3),
  },
  /** Random strings of random length, some with a valid prefix. */
  garbage: {
    weight: 5,
    mutate: (s, r) => {
      const n = r.chance(0.1) ? r.between(MAX_LENGTH - 8, MAX_LENGTH + 60) : r.int(300);
      let out = r.pick(["006", "007", "", "00"]);
      if (out === "006" && r.chance(0.5)) out += s.appId;
      const alphabet = r.chance(0.8) ? B64 : `${B64}=-_ .~!é`;
      for (let i = 0; i < n; i++) out += alphabet[r.int(alphabet.length)];
      return out;
    },
  },
};

// ---------------------------------------------------------------- the run

interface Failure {
  readonly kind: string;
  readonly seed: string;
  readonly token: string;
  readonly problem: string;
}

const TOKEN_REASON_SET = new Set<string>(TOKEN_REASONS);
const REASON_SET = new Set<string>(REASONS);

function context(s: Seed, token: string, legacy: boolean): AuthContext {
  return {
    op: "login",
    profile: "rtm1",
    appId: s.appId,
    uid: s.uid,
    token: token === "" ? null : token,
    now: s.now,
    monotonicMs: 0,
    session: { loggedIn: false, rate: { hit: () => true }, appId: null, uid: null },
    settings: { checkOrder: legacy ? "legacy" : "spec", privilege006: "enforce", accept006RtcAsRtm: false, rtm1LoginSpacingMs: 0, uidQuirks: DEFAULT_UID_QUIRKS, tokenLimits: DEFAULT_TOKEN_LIMITS },
    lookupProject: () => ({ appId: s.appId, mode: "token", certificates: s.certificates }),
  };
}

/** Which entry a case goes through: the verifier alone, or the whole policy list (spec or legacy order). */
type Path = "verify" | "decide" | "decide-legacy";

/** Checks one mutated token whose oracle verdict is `same`; returns the problems found (none when it behaved). */
function check(s: Seed, token: string, same: boolean, path: Path, reasons: Map<string, number>): string[] {
  const problems: string[] = [];
  let accepted: boolean;
  let reason: string | undefined;
  let detail: string | undefined;
  let decoded: ParsedToken | null;
  if (path === "verify") {
    let verdict: ReturnType<typeof verifyToken>;
    try {
      verdict = verifyToken({ token, appId: s.appId, uid: s.uid, certificates: s.certificates, now: s.now });
    } catch (err) {
      return [`verifyToken threw: ${String(err)}`];
    }
    accepted = verdict.valid;
    if (!verdict.valid) ({ reason, detail } = verdict);
    decoded = verdict.parsed;
  } else {
    const ctx = context(s, token, path === "decide-legacy");
    let refusal: ReturnType<typeof decide>;
    try {
      refusal = decide(ctx);
    } catch (err) {
      return [`decide threw: ${String(err)}`];
    }
    accepted = refusal === undefined;
    if (refusal !== undefined) ({ reason, detail } = refusal);
    decoded = ctx.decodedToken ?? null;
    if (accepted && (ctx.verified === undefined || ctx.failedCheck !== undefined)) problems.push("decide accepted without a verified token");
    if (!accepted && ctx.failedCheck !== (ctx.token === null ? "auth-mode" : "token-valid")) problems.push(`decide: refused by ${ctx.failedCheck}`);
  }
  if (accepted && !same) problems.push(`${path}: accepted although its signed content changed`);
  if (!accepted && same) problems.push(`${path}: refused (${reason}) although only its encoding changed`);
  if (!accepted) {
    reasons.set(reason!, (reasons.get(reason!) ?? 0) + 1);
    // A token given: a token reason; the empty string counts as no token (token_required).
    const allowed = token === "" && path !== "verify" ? reason === "token_required" : TOKEN_REASON_SET.has(reason!);
    if (!allowed || !REASON_SET.has(reason!)) problems.push(`${path}: reason outside the closed union: ${String(reason)}`);
    if (typeof detail !== "string" || detail.length === 0) problems.push(`${path}: refusal without a detail`);
  }
  if (decoded !== null) {
    if ((tokenIdentity(decoded) === s.id) !== same) problems.push(same ? "same content, other identity" : "other content, same identity");
    try {
      JSON.stringify(describeToken(decoded));
    } catch (err) {
      problems.push(`describeToken threw: ${String(err)}`);
    }
  } else if (accepted) problems.push(`${path}: accepted without a decoded token`);
  return problems;
}

describe(`token fuzzing: ${CASES} mutations of ${SEEDS.length} real tokens (seed ${SEED})`, () => {
  it("has real 006 and 007 tokens to start from, all valid", () => {
    expect(SEEDS.filter((s) => s.version === "006").length).toBeGreaterThanOrEqual(5);
    expect(SEEDS.filter((s) => s.version === "007").length).toBeGreaterThanOrEqual(5);
    for (const s of SEEDS) expect(verifyToken({ token: s.token, appId: s.appId, uid: s.uid, certificates: s.certificates, now: s.now }).valid).toBe(true);
  });

  it(
    "never throws, accepts exactly the malleated variants (same identity), refuses the rest with a reason of the union",
    () => {
      const r = new ChaosRandom(SEED);
      const table = Object.entries(MUTATORS).map(([kind, m]) => [m.weight, [kind, m.mutate]] as const);
      const stats = new Map<string, { cases: number; accepted: number }>();
      const reasons = new Map<string, number>();
      const paths = new Map<Path, number>();
      const failures: Failure[] = [];
      let accepted = 0;
      let distinctAccepted = 0;
      for (let i = 0; i < CASES; i++) {
        const s = SEEDS[i % SEEDS.length]!;
        const [kind, mutate] = r.weighted(table);
        const token = mutate(s, r);
        const same = sameSignedContent(s, token);
        const path: Path = s.decidable ? r.weighted<Path>([[3, "verify"], [5, "decide"], [2, "decide-legacy"]]) : "verify";
        paths.set(path, (paths.get(path) ?? 0) + 1);
        const problems = check(s, token, same, path, reasons);
        const st = stats.get(kind) ?? { cases: 0, accepted: 0 };
        st.cases++;
        if (same) {
          st.accepted++;
          accepted++;
          if (token !== s.token) distinctAccepted++;
        }
        stats.set(kind, st);
        for (const problem of problems) if (failures.length < 20) failures.push({ kind, seed: s.name, token: token.length > 120 ? `${token.slice(0, 117)}…` : token, problem });
      }
      // Failures name the seed of the run: CHAOS_SEED=<seed> replays it.
      expect(failures, `seed ${SEED}`).toEqual([]);

      // The run covered what it claims: every mutation kind, many accepted variants, every
      // refusal reason a certificate-less attacker can reach.
      for (const kind of Object.keys(MUTATORS)) expect(stats.get(kind)?.cases ?? 0, kind).toBeGreaterThan(0);
      for (const path of ["verify", "decide", "decide-legacy"] as const) expect(paths.get(path) ?? 0, path).toBeGreaterThan(CASES * 0.1);
      expect(accepted).toBeGreaterThan(CASES * 0.15);
      expect(distinctAccepted).toBeGreaterThan(CASES * 0.15);
      expect(stats.get("malleate")?.accepted).toBe(stats.get("malleate")?.cases);
      expect(CASES - accepted).toBeGreaterThan(CASES * 0.6);
      const seen = [...reasons.keys()].sort() as Reason[];
      expect(seen).toEqual(expect.arrayContaining(["app_id_mismatch", "invalid_signature", "malformed", "unsupported_version"]));
    },
    60_000,
  );
});

describe("signed tokens at the limits (MAX_TOKEN_LENGTH 2048, MAX_INFLATED_BYTES 8192)", () => {
  const certificates: ActiveCertificate[] = [{ slot: "primary", value: CERT }];
  const verify = (token: string, limits = DEFAULT_TOKEN_LIMITS) => verifyToken({ token, appId: APP_ID, uid: "alice", certificates, now: ISSUE_TS, limits });

  /** A signed 007 token with `trailing` MACed bytes, stored (level 0) so its length is predictable. */
  const stored007 = (trailing: number) => token007(deflateSync(craftPayload007({ services: [rtmService("alice")], trailing: Buffer.alloc(trailing, 0x5a) }), { level: 0 }));
  /** A signed 006 token with `extra` more privileges before 1000. */
  const wide006 = (extra: number) => {
    const privileges: Array<[number, number]> = [];
    for (let i = 0; i < extra; i++) privileges.push([2000 + i, 0]);
    privileges.push([1000, ISSUE_TS + 3600]);
    return `006${APP_ID}${craftContent006({ privileges }).toString("base64")}`;
  };

  function lengths(build: (n: number) => string, max: number): Map<number, string> {
    const byLength = new Map<number, string>();
    for (let n = 0; n <= max; n++) {
      const t = build(n);
      if (t.length >= MAX_LENGTH - 12 && t.length <= MAX_LENGTH + 12 && !byLength.has(t.length)) byLength.set(t.length, t);
    }
    return byLength;
  }

  it.each([
    ["007", lengths(stored007, 1600)],
    ["006", lengths(wide006, 260)],
  ] as const)("%s: valid up to 2048 characters, malformed past it, whatever the content", (_v, byLength) => {
    const under = [...byLength.keys()].filter((n) => n <= MAX_LENGTH);
    const over = [...byLength.keys()].filter((n) => n > MAX_LENGTH);
    expect(under.length).toBeGreaterThan(0);
    expect(over.length).toBeGreaterThan(0);
    for (const [n, t] of byLength) {
      const r = verify(t);
      if (n <= MAX_LENGTH) expect(r, `length ${n}`).toMatchObject({ valid: true });
      else expect(r, `length ${n}`).toMatchObject({ valid: false, reason: "malformed", detail: `token length ${n} outside 3..${MAX_LENGTH}` });
    }
    // A lower configured limit moves the edge with it.
    const longest = Math.max(...under);
    expect(verify(byLength.get(longest)!, { ...DEFAULT_TOKEN_LIMITS, maxTokenLength: longest })).toMatchObject({ valid: true });
    expect(verify(byLength.get(longest)!, { ...DEFAULT_TOKEN_LIMITS, maxTokenLength: longest - 1 })).toMatchObject({ valid: false, reason: "malformed" });
  });

  it("007: a signed payload of exactly 8192 inflated bytes verifies; 8193 is malformed before the MAC", () => {
    const base = craftPayload007({ services: [rtmService("alice")] }).length;
    const at = (size: number) => token007(deflateSync(craftPayload007({ services: [rtmService("alice")], trailing: Buffer.alloc(size - base) }), { level: 9 }));
    expect(at(MAX_INFLATED).length).toBeLessThan(MAX_LENGTH);
    expect(verify(at(MAX_INFLATED))).toMatchObject({ valid: true });
    expect(verify(at(MAX_INFLATED + 1))).toMatchObject({ valid: false, reason: "malformed", detail: "007 body is not a zlib stream within the size cap" });
    // A signed megabyte (a zlib bomb under the length limit) stops at the cap, MAC or not.
    const bombToken = at(1 << 20);
    expect(bombToken.length).toBeLessThanOrEqual(MAX_LENGTH);
    expect(verify(bombToken)).toMatchObject({ valid: false, reason: "malformed", detail: "007 body is not a zlib stream within the size cap" });
  });
});
