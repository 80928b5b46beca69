/**
 * The readiness figures of one project as one gateway holds them, and the JSON form in which the
 * gateways sharing one Redis exchange them (docs/migration.md, "Several gateways").
 *
 * The in-memory shapes ({@link Bucket}, {@link UidSet}) are the tracker's own; a
 * {@link ReadinessSnapshot} is what another gateway shared, decoded into the same shapes, so
 * that one merge (readiness.ts) serves this gateway alone and all of them together.
 *
 * The JSON (`v: 1`) is bounded: at most {@link BUCKETS} buckets, reasons from the closed lists of
 * core/errors.ts, 256-character sketches, and the exact uid lists of the tracker (at most its
 * `uidCap` per credential). {@link encodeSnapshot} keeps it under a byte limit by leaving the uid
 * lists out (the sketches then stand in for them), and past that shares no figures at all
 * (`omitted`), which the reader reports.
 */
import { DistinctSketch } from "./distinct-sketch.js";

/** Buckets per project window. */
export const BUCKETS = 60;

export type Credential = "appid" | "token";
export const CREDENTIALS: readonly Credential[] = ["appid", "token"];

/** One time bucket of a project's counts. */
export interface Bucket {
  /** Which bucket of time this is (floor(at / bucketSeconds)); stale when it differs. */
  n: number;
  appid: number;
  token: number;
  v006: number;
  v007: number;
  primary: number;
  secondary: number;
  /** Refused logins: reason → count. */
  refused: Map<string, number>;
  /** Logins a shadow target would have refused: "target reason" → count (targets kept apart). */
  shadowRefused: Map<string, number> | null;
  sketch: { appid: DistinctSketch | null; token: DistinctSketch | null };
}

/** A new, empty bucket number `n`. */
export function emptyBucket(n: number): Bucket {
  return { n, appid: 0, token: 0, v006: 0, v007: 0, primary: 0, secondary: 0, refused: new Map(), shadowRefused: null, sketch: { appid: null, token: null } };
}

/** The uids of one credential: exact up to the tracker's cap. */
export interface UidSet {
  /** uid → last login (Unix seconds), least recent first. */
  readonly last: Map<string, number>;
  /** The most recent last-login of an evicted uid (exact only for windows that start after it); -Infinity when none. */
  evictedNewest: number;
}

/** The uids of one credential as a gateway shares them. */
export interface SharedUids extends UidSet {
  /** False when `last` holds only the most recent uids (the rest left out to keep the snapshot small). */
  readonly complete: boolean;
  /** Whether the buckets carry this credential's sketches (needed once uids are evicted or left out). */
  readonly sketched: boolean;
}

export interface LastUse {
  readonly appid: number | null;
  readonly primary: number | null;
  readonly secondary: number | null;
}

/** Live sessions of one project by credential, and token sessions by slot. */
export interface LiveCounts {
  appid: number;
  token: number;
  primary: number;
  secondary: number;
}

export const noLive = (): LiveCounts => ({ appid: 0, token: 0, primary: 0, secondary: 0 });

/** What the readiness merge reads of one gateway's figures of one project. */
export interface ReadinessSource {
  /** Buckets, any order; holes (undefined) and stale ones are skipped by bucket number. */
  readonly buckets: ReadonlyArray<Bucket | undefined>;
  readonly uids: Readonly<Record<Credential, SharedUids>>;
  readonly lastUse: LastUse;
  readonly live: LiveCounts;
}

/** One gateway's figures of one project, as it shares them. */
export interface ReadinessSnapshot extends ReadinessSource {
  /** Seconds per bucket: only snapshots with this gateway's bucket size can be merged. */
  readonly bucketSeconds: number;
}

/** What {@link decodeSnapshot} makes of a stored value. */
export type DecodedSnapshot = { readonly ok: true; readonly snapshot: ReadinessSnapshot } | { readonly ok: false; readonly why: string };

const FORMAT = 1;
/** Keys of a decoded refused/shadow map, at most (the reason lists are far shorter). */
const MAX_MAP_KEYS = 512;
const MAX_KEY_LENGTH = 128;

interface WireBucket {
  n: number;
  appid: number;
  token: number;
  v006: number;
  v007: number;
  primary: number;
  secondary: number;
  refused: Record<string, number>;
  shadow?: Record<string, number>;
  sketch?: { appid?: string; token?: string };
}

interface WireUids {
  complete: boolean;
  sketched: boolean;
  evictedNewest: number | null;
  /** [uid, last login], least recent first. */
  last: Array<[string, number]>;
}

interface WireSnapshot {
  v: typeof FORMAT;
  bucketSeconds: number;
  buckets: WireBucket[];
  uids: Record<Credential, WireUids>;
  lastUse: LastUse;
  live: LiveCounts;
}

const toRecord = (m: ReadonlyMap<string, number>): Record<string, number> => Object.fromEntries(m);

/**
 * The JSON of `s`, at most `maxBytes` UTF-8 bytes: whole when it fits; else with the uid lists
 * left out (only the `recentCap` most recent App-ID uids kept, for the report's list; the sketches
 * stand in for the counts); else `{"v":1,"omitted":"too_large","bytes":N}`, which shares no figures
 * and which a reader reports as such.
 */
export function encodeSnapshot(s: ReadinessSnapshot, maxBytes: number, recentCap: number): string {
  const full = JSON.stringify(wire(s, false, recentCap));
  const fullBytes = Buffer.byteLength(full);
  if (fullBytes <= maxBytes) return full;
  const reduced = JSON.stringify(wire(s, true, recentCap));
  const reducedBytes = Buffer.byteLength(reduced);
  if (reducedBytes <= maxBytes) return reduced;
  return JSON.stringify({ v: FORMAT, omitted: "too_large", bytes: reducedBytes });
}

function wire(s: ReadinessSnapshot, reduce: boolean, recentCap: number): WireSnapshot {
  const uids = {} as Record<Credential, WireUids>;
  const sketched = { appid: false, token: false };
  for (const c of CREDENTIALS) {
    const u = s.uids[c];
    let last = [...u.last];
    let complete = u.complete;
    if (reduce) {
      const keep = c === "appid" ? recentCap : 0;
      if (last.length > keep) {
        last = keep === 0 ? [] : last.slice(-keep);
        complete = false;
      }
    }
    sketched[c] = u.sketched || !complete;
    uids[c] = { complete, sketched: sketched[c], evictedNewest: u.evictedNewest === -Infinity ? null : u.evictedNewest, last };
  }
  const buckets: WireBucket[] = [];
  for (const b of s.buckets) {
    if (b === undefined) continue;
    const w: WireBucket = { n: b.n, appid: b.appid, token: b.token, v006: b.v006, v007: b.v007, primary: b.primary, secondary: b.secondary, refused: toRecord(b.refused) };
    if (b.shadowRefused !== null && b.shadowRefused.size > 0) w.shadow = toRecord(b.shadowRefused);
    const sk: { appid?: string; token?: string } = {};
    for (const c of CREDENTIALS) {
      const k = b.sketch[c];
      if (sketched[c] && k !== null) sk[c] = k.encode();
    }
    if (sk.appid !== undefined || sk.token !== undefined) w.sketch = sk;
    buckets.push(w);
  }
  return { v: FORMAT, bucketSeconds: s.bucketSeconds, buckets, uids, lastUse: { ...s.lastUse }, live: { ...s.live } };
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function countMap(v: unknown): Map<string, number> | null {
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  if (keys.length > MAX_MAP_KEYS) return null;
  const m = new Map<string, number>();
  for (const k of keys) {
    const n = v[k];
    if (k.length > MAX_KEY_LENGTH || !isCount(n)) return null;
    m.set(k, n);
  }
  return m;
}

/**
 * Reads a value {@link encodeSnapshot} wrote. Never throws: anything else (another format
 * version, a damaged value, an `omitted` marker) is `{ok: false, why}` with a short reason.
 * Bounds the buckets (60), reasons per bucket (512) and sketches (256 characters); the uid lists
 * are bounded by the text, whose size the caller limits (readiness-redis.ts: `maxSnapshotBytes`).
 */
export function decodeSnapshot(text: string): DecodedSnapshot {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, why: "not JSON" };
  }
  if (!isObject(v)) return { ok: false, why: "not an object" };
  if (v["v"] !== FORMAT) return { ok: false, why: `format ${String(v["v"])} (this gateway reads ${FORMAT})` };
  if (v["omitted"] !== undefined) return { ok: false, why: `figures too large to share (${isCount(v["bytes"]) ? `${v["bytes"]} bytes` : "size unknown"})` };
  const bucketSeconds = v["bucketSeconds"];
  if (!isCount(bucketSeconds) || bucketSeconds < 1) return { ok: false, why: "bad bucketSeconds" };
  const rawBuckets = v["buckets"];
  if (!Array.isArray(rawBuckets) || rawBuckets.length > BUCKETS) return { ok: false, why: "bad buckets" };
  const buckets: Bucket[] = [];
  for (const raw of rawBuckets) {
    if (!isObject(raw)) return { ok: false, why: "bad bucket" };
    const { n, appid, token, v006, v007, primary, secondary } = raw;
    if (!(typeof n === "number" && Number.isSafeInteger(n)) || !isCount(appid) || !isCount(token) || !isCount(v006) || !isCount(v007) || !isCount(primary) || !isCount(secondary)) {
      return { ok: false, why: "bad bucket counts" };
    }
    const refused = countMap(raw["refused"]);
    const shadow = raw["shadow"] === undefined ? null : countMap(raw["shadow"]);
    if (refused === null || (raw["shadow"] !== undefined && shadow === null)) return { ok: false, why: "bad bucket reasons" };
    const b: Bucket = { n, appid, token, v006, v007, primary, secondary, refused, shadowRefused: shadow, sketch: { appid: null, token: null } };
    const sk = raw["sketch"];
    if (sk !== undefined) {
      if (!isObject(sk)) return { ok: false, why: "bad sketch" };
      for (const c of CREDENTIALS) {
        const s = sk[c];
        if (s === undefined) continue;
        const decoded = typeof s === "string" ? DistinctSketch.decode(s) : null;
        if (decoded === null) return { ok: false, why: "bad sketch" };
        b.sketch[c] = decoded;
      }
    }
    buckets.push(b);
  }
  const rawUids = v["uids"];
  if (!isObject(rawUids)) return { ok: false, why: "bad uids" };
  const uids = {} as Record<Credential, SharedUids>;
  for (const c of CREDENTIALS) {
    const u = rawUids[c];
    if (!isObject(u) || typeof u["complete"] !== "boolean" || typeof u["sketched"] !== "boolean" || !Array.isArray(u["last"])) return { ok: false, why: "bad uids" };
    const evicted = u["evictedNewest"];
    if (evicted !== null && !isTime(evicted)) return { ok: false, why: "bad uids" };
    const last = new Map<string, number>();
    for (const e of u["last"] as unknown[]) {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string" || !isTime(e[1])) return { ok: false, why: "bad uids" };
      last.delete(e[0]);
      last.set(e[0], e[1]);
    }
    uids[c] = { last, evictedNewest: evicted === null ? -Infinity : evicted, complete: u["complete"], sketched: u["sketched"] };
  }
  const lu = v["lastUse"];
  const live = v["live"];
  const timeOrNull = (x: unknown): x is number | null => x === null || isTime(x);
  if (!isObject(lu) || !timeOrNull(lu["appid"]) || !timeOrNull(lu["primary"]) || !timeOrNull(lu["secondary"])) return { ok: false, why: "bad lastUse" };
  if (!isObject(live) || !isCount(live["appid"]) || !isCount(live["token"]) || !isCount(live["primary"]) || !isCount(live["secondary"])) return { ok: false, why: "bad live" };
  return {
    ok: true,
    snapshot: {
      bucketSeconds,
      buckets,
      uids,
      lastUse: { appid: lu["appid"], primary: lu["primary"], secondary: lu["secondary"] },
      live: { appid: live["appid"], token: live["token"], primary: live["primary"], secondary: live["secondary"] },
    },
  };
}
