/**
 * Client populations (`rtm-auth load --population FILE`, the population runner, and the migration
 * rehearsal built on it): a JSON file that describes the clients of an app as cohorts with shares.
 * Each cohort says how its clients log in (a 006 or 007 token, or the App ID alone), what their
 * token server gets wrong (a {@link PopulationBug}), and how they behave once logged in (hold,
 * renew, reconnect). The format, every field and what the gateway answers for each bug:
 * docs/population.md.
 *
 * Cohort `legacy` owns the uids `legacy-0 … legacy-(N-1)`: the same clients every run, so a
 * rollout that picks clients by uid pattern or uid hash picks the same ones each time.
 */
import { readFileSync } from "node:fs";
import { buildRtmToken } from "../../core/token/index.js";

/** How a cohort's clients log in: a token, or the App ID alone (no token). */
export const POPULATION_CREDENTIALS = ["token", "appid"] as const;
export type PopulationCredential = (typeof POPULATION_CREDENTIALS)[number];

/** What a cohort's token server gets wrong (docs/population.md, "Bugs"). */
export const POPULATION_BUGS = ["expiry_as_timestamp", "wrong_uid", "expired", "wrong_certificate"] as const;
export type PopulationBug = (typeof POPULATION_BUGS)[number];

/**
 * The gateway's answer to a login with a `bug` token of `version` on a project that takes tokens
 * (token-only or either): the refusal reason, or null for an accept. On an App-ID-only project
 * every token login is `token_not_accepted` first (the auth-mode check runs before the token's).
 *
 * - `expiry_as_timestamp`: accepted; the expiry is capped at issue + `MAX_TOKEN_LIFETIME_SECONDS`
 *   (default 24 h, docs/token-lifetime.md), so the session lasts a day, not `tokenTtlSeconds`.
 * - `wrong_uid`: 007 `uid_mismatch` (the token names its uid); 006 `invalid_signature` (a 006
 *   token carries no uid: the login uid is part of what its signature covers).
 * - `expired`: `token_expired`. `wrong_certificate`: `invalid_signature`.
 */
export function bugReason(bug: PopulationBug, version: "006" | "007"): string | null {
  switch (bug) {
    case "expiry_as_timestamp":
      return null;
    case "wrong_uid":
      return version === "006" ? "invalid_signature" : "uid_mismatch";
    case "expired":
      return "token_expired";
    case "wrong_certificate":
      return "invalid_signature";
  }
}

/** What a client whose session the gateway ended (expiry, kick, remote login) does next. */
export const RECONNECT_BEHAVIOURS = ["next_step", "never"] as const;
export type ReconnectBehaviour = (typeof RECONNECT_BEHAVIOURS)[number];

/** One cohort, with every default applied. */
export interface Cohort {
  /** `[A-Za-z0-9][A-Za-z0-9_-]{0,31}`; the uid prefix and the report key. */
  readonly name: string;
  /** Share of new logins drawn from this cohort, in [0, 1]; the shares of a population sum to 1. */
  readonly share: number;
  readonly credential: PopulationCredential;
  /** Token cohorts: the token version (default 007). Null for `appid`. */
  readonly tokenVersion: "006" | "007" | null;
  /** Token cohorts: the lifetime the token server asks for, seconds (default 3600). Null for `appid`. */
  readonly tokenTtlSeconds: number | null;
  /**
   * Token cohorts: the project certificate their token server signs with, `primary` (default) or
   * `secondary` (clients still on the old certificate during a rotation). Null for `appid`.
   */
  readonly certificate: "primary" | "secondary" | null;
  /** Token cohorts: what their token server gets wrong (null: nothing). */
  readonly bug: PopulationBug | null;
  /** How long a client stays logged in after a login, seconds (0: logs out at once). */
  readonly holdSeconds: number;
  /** While holding, renew this many seconds before the token's expiry (null: never renews). */
  readonly renewBeforeExpirySeconds: number | null;
  readonly reconnect: ReconnectBehaviour;
  /** Size of the cohort's uid pool: uids `NAME-0 … NAME-(uids-1)`. */
  readonly uids: number;
  /** Free text, for the reader of the file (≤ 200 characters). */
  readonly description: string | null;
}

/** A validated population. */
export interface Population {
  /** The default uid pool size of a cohort. */
  readonly uidsPerCohort: number;
  readonly cohorts: readonly Cohort[];
  readonly description: string | null;
}

/** Most cohorts in a population. */
export const MAX_COHORTS = 32;
/** Largest uid pool of a cohort. */
export const MAX_UIDS_PER_COHORT = 100_000;
/** Longest file read (bytes). */
export const MAX_POPULATION_FILE_BYTES = 1_048_576;
/** Longest hold, seconds (30 days). */
export const MAX_HOLD_SECONDS = 2_592_000;
/** Longest token lifetime a cohort may ask for, seconds (30 days: past the gateway's 24 h cap on purpose). */
export const MAX_TOKEN_TTL_SECONDS = 2_592_000;
/** The sum of the shares may miss 1 by this much. */
const SUM_TOLERANCE = 1e-6;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const DEFAULT_TOKEN_TTL_SECONDS = 3600;
const DEFAULT_UIDS_PER_COHORT = 1000;
const MAX_DESCRIPTION = 200;

/** A population file that cannot be used: the message names the file and the JSON path of the field. */
export class PopulationError extends Error {
  override readonly name = "PopulationError";
}

const TOP_FIELDS = new Set(["uidsPerCohort", "cohorts", "description"]);
const COHORT_FIELDS = new Set(["name", "share", "credential", "tokenVersion", "tokenTtlSeconds", "certificate", "bug", "holdSeconds", "renewBeforeExpirySeconds", "reconnect", "uids", "description"]);
const TOKEN_ONLY_FIELDS = ["tokenVersion", "tokenTtlSeconds", "certificate", "bug", "renewBeforeExpirySeconds"] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(", ");

/**
 * Parses and checks the text of a population file. `file` is only used in messages
 * (`population.json: cohorts[1].share must be a number in [0, 1]`).
 *
 * @throws PopulationError naming `file` and the JSON path of the first bad field.
 */
export function parsePopulation(text: string, file: string): Population {
  const fail = (path: string, message: string): never => {
    throw new PopulationError(`${file}: ${path === "" ? "" : `${path} `}${message}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail("", `is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(raw)) return fail("", "must hold a JSON object with uidsPerCohort and cohorts");
  // A rollout plan given where a population goes: say so, rather than list its fields one by one.
  if (raw.cohorts === undefined && Array.isArray(raw.stages)) return fail("", "is a rollout plan (it has stages), not a population, which has uidsPerCohort and cohorts (docs/population.md)");
  for (const k of Object.keys(raw)) if (!TOP_FIELDS.has(k)) fail(k, `is not a field of a population (fields: ${list([...TOP_FIELDS])})`);

  const integer = (v: unknown, path: string, min: number, max: number): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) fail(path, `must be an integer in [${min}, ${max}]`);
    return v as number;
  };
  const description = (v: unknown, path: string): string | null => {
    if (v === undefined) return null;
    if (typeof v !== "string" || v.length > MAX_DESCRIPTION) fail(path, `must be a string of at most ${MAX_DESCRIPTION} characters`);
    return v as string;
  };
  const oneOf = <T extends string>(v: unknown, path: string, allowed: readonly T[]): T => {
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) fail(path, `must be one of ${list(allowed)}`);
    return v as T;
  };

  const uidsPerCohort = raw.uidsPerCohort === undefined ? DEFAULT_UIDS_PER_COHORT : integer(raw.uidsPerCohort, "uidsPerCohort", 1, MAX_UIDS_PER_COHORT);
  const topDescription = description(raw.description, "description");
  if (!Array.isArray(raw.cohorts)) return fail("cohorts", "must be an array of cohorts");
  const rawCohorts = raw.cohorts as unknown[];
  if (rawCohorts.length === 0 || rawCohorts.length > MAX_COHORTS) fail("cohorts", `must hold 1 to ${MAX_COHORTS} cohorts (it holds ${rawCohorts.length})`);

  const names = new Set<string>();
  const cohorts: Cohort[] = rawCohorts.map((c, i): Cohort => {
    const at = `cohorts[${i}]`;
    if (!isObject(c)) return fail(at, "must be an object");
    for (const k of Object.keys(c)) if (!COHORT_FIELDS.has(k)) fail(`${at}.${k}`, `is not a field of a cohort (fields: ${list([...COHORT_FIELDS])})`);
    if (typeof c.name !== "string" || !NAME.test(c.name)) fail(`${at}.name`, "must be 1 to 32 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");
    const name = c.name as string;
    if (names.has(name)) fail(`${at}.name`, `${JSON.stringify(name)} names an earlier cohort too: names must be unique`);
    names.add(name);
    if (typeof c.share !== "number" || !Number.isFinite(c.share) || c.share < 0 || c.share > 1) fail(`${at}.share`, "must be a number in [0, 1]");
    const credential = oneOf(c.credential, `${at}.credential`, POPULATION_CREDENTIALS);
    if (credential === "appid") {
      for (const k of TOKEN_ONLY_FIELDS) if (c[k] !== undefined) fail(`${at}.${k}`, "is for token cohorts: an appid cohort sends no token");
    }
    const token = credential === "token";
    const tokenVersion = !token ? null : c.tokenVersion === undefined ? "007" : oneOf(c.tokenVersion, `${at}.tokenVersion`, ["006", "007"] as const);
    const tokenTtlSeconds = !token ? null : c.tokenTtlSeconds === undefined ? DEFAULT_TOKEN_TTL_SECONDS : integer(c.tokenTtlSeconds, `${at}.tokenTtlSeconds`, 1, MAX_TOKEN_TTL_SECONDS);
    const certificate = !token ? null : c.certificate === undefined ? "primary" : oneOf(c.certificate, `${at}.certificate`, ["primary", "secondary"] as const);
    const bug = !token || c.bug === undefined || c.bug === null ? null : oneOf(c.bug, `${at}.bug`, POPULATION_BUGS);
    if (bug === "expiry_as_timestamp" && tokenVersion !== "007") fail(`${at}.bug`, "expiry_as_timestamp needs tokenVersion 007 (a 006 builder already takes an absolute expiry)");
    const holdSeconds = c.holdSeconds === undefined ? 0 : integer(c.holdSeconds, `${at}.holdSeconds`, 0, MAX_HOLD_SECONDS);
    let renewBeforeExpirySeconds: number | null = null;
    if (token && c.renewBeforeExpirySeconds !== undefined && c.renewBeforeExpirySeconds !== null) {
      renewBeforeExpirySeconds = integer(c.renewBeforeExpirySeconds, `${at}.renewBeforeExpirySeconds`, 1, MAX_TOKEN_TTL_SECONDS);
      if (renewBeforeExpirySeconds >= tokenTtlSeconds!) fail(`${at}.renewBeforeExpirySeconds`, `must be less than tokenTtlSeconds (${tokenTtlSeconds}): a client would renew as soon as it logged in`);
    }
    const reconnect = c.reconnect === undefined ? "next_step" : oneOf(c.reconnect, `${at}.reconnect`, RECONNECT_BEHAVIOURS);
    const uids = c.uids === undefined ? uidsPerCohort : integer(c.uids, `${at}.uids`, 1, MAX_UIDS_PER_COHORT);
    return {
      name,
      share: c.share as number,
      credential,
      tokenVersion,
      tokenTtlSeconds,
      certificate,
      bug,
      holdSeconds,
      renewBeforeExpirySeconds,
      reconnect,
      uids,
      description: description(c.description, `${at}.description`),
    };
  });
  const sum = cohorts.reduce((s, c) => s + c.share, 0);
  if (!cohorts.some((c) => c.share > 0)) fail("cohorts", "need at least one cohort with a share above 0");
  if (Math.abs(sum - 1) > SUM_TOLERANCE) fail("cohorts", `shares sum to ${Number(sum.toFixed(6))}, not 1 (a typo, not a request: fix the shares)`);
  return { uidsPerCohort, cohorts, description: topDescription };
}

/**
 * Reads and parses the population file at `path`.
 *
 * @throws PopulationError naming `path`: unreadable, over {@link MAX_POPULATION_FILE_BYTES}, or invalid.
 */
export function loadPopulation(path: string): Population {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_POPULATION_FILE_BYTES) throw new PopulationError(`${path}: is ${bytes.length} bytes, over the ${MAX_POPULATION_FILE_BYTES} a population file may hold`);
    text = bytes.toString("utf8");
  } catch (err) {
    if (err instanceof PopulationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // Worded as a plan file's (gateway/cli/plan-file.ts): the two are often given side by side.
    throw new PopulationError(`${path}: ${code === "ENOENT" ? "no such file" : `cannot be read (${code ?? (err as Error).message})`}`);
  }
  return parsePopulation(text, path);
}

/** The uid of client `index` (0-based) of `cohort`: `NAME-index`. */
export function cohortUid(cohort: Pick<Cohort, "name">, index: number): string {
  return `${cohort.name}-${index}`;
}

/** The index of the cohort drawn for a uniform random `u` in [0, 1): by cumulative share. */
export function drawCohort(population: Population, u: number): number {
  const cs = population.cohorts;
  let acc = 0;
  for (let i = 0; i < cs.length; i++) {
    acc += cs[i]!.share;
    if (u < acc) return i;
  }
  // Rounding left a sliver above the last cumulative share: the last cohort with a share.
  for (let i = cs.length - 1; i >= 0; i--) if (cs[i]!.share > 0) return i;
  return 0;
}

/** The refusal a login of `cohort` is expected to get on a project that takes its credential (null: an accept). */
export function expectedReason(cohort: Cohort): string | null {
  return cohort.bug === null || cohort.tokenVersion === null ? null : bugReason(cohort.bug, cohort.tokenVersion);
}

/** The uid a `wrong_uid` token is built for: `UID-other`. */
export function wrongUidFor(uid: string): string {
  return `${uid}-other`;
}

/** How long before its stated expiry an `expired` token expired, seconds. */
export const EXPIRED_BY_SECONDS = 60;

/** What a cohort token is minted from. */
export interface CohortTokenInput {
  readonly appId: string;
  /** The project's primary certificate (32 hex). */
  readonly certificate: string;
  /** The project's secondary certificate, for cohorts that sign with it (absent: such a cohort cannot be minted). */
  readonly secondaryCertificate?: string | null;
  /** A certificate that is not the project's, for `wrong_certificate`. */
  readonly wrongCertificate: string;
  readonly uid: string;
  /** The issue time the token server uses, Unix seconds. */
  readonly nowSeconds: number;
  /** 1 … 2³²−1. */
  readonly salt: number;
}

/**
 * The token a client of `cohort` gets from its token server at `nowSeconds` (null for an appid
 * cohort), bug included (docs/population.md, "Bugs"):
 *
 * - no bug: issued now, `expire` = `tokenTtlSeconds` (006: the RTM privilege, as the builders),
 *   signed with the certificate the cohort names (`secondaryCertificate` for `secondary`; an
 *   Error when it is not given);
 * - `expiry_as_timestamp`: 007, `expire` = `nowSeconds + tokenTtlSeconds` (a Unix time where the
 *   builder takes a number of seconds);
 * - `wrong_uid`: built for {@link wrongUidFor}(uid);
 * - `expired`: an old token whose stated expiry passed {@link EXPIRED_BY_SECONDS} ago (007:
 *   issued `tokenTtlSeconds + 60` s ago; 006: issued 24 h + 60 s ago, so its `ts` passed 60 s ago);
 * - `wrong_certificate`: signed with `wrongCertificate`.
 */
export function mintCohortToken(cohort: Cohort, input: CohortTokenInput): string | null {
  if (cohort.credential === "appid") return null;
  const ttl = cohort.tokenTtlSeconds!;
  const version = cohort.tokenVersion!;
  let issueTs = input.nowSeconds;
  let expireSeconds = ttl;
  let uid = input.uid;
  let certificate = input.certificate;
  if (cohort.certificate === "secondary") {
    if (input.secondaryCertificate === undefined || input.secondaryCertificate === null) throw new Error(`cohort ${cohort.name} signs with the secondary certificate, and none was given`);
    certificate = input.secondaryCertificate;
  }
  switch (cohort.bug) {
    case "expiry_as_timestamp":
      expireSeconds = input.nowSeconds + ttl;
      break;
    case "wrong_uid":
      uid = wrongUidFor(input.uid);
      break;
    case "expired":
      issueTs = input.nowSeconds - EXPIRED_BY_SECONDS - (version === "006" ? 86_400 : ttl);
      break;
    case "wrong_certificate":
      certificate = input.wrongCertificate;
      break;
    case null:
      break;
  }
  return buildRtmToken({ version, appId: input.appId, certificate, uid, expireSeconds, issueTs, salt: input.salt });
}

/** A 32-hex certificate from `random`, different from `avoid`. */
export function randomCertificate(random: () => number, avoid: string | null): string {
  let s = "";
  for (let i = 0; i < 4; i++) s += Math.floor(random() * 2 ** 32).toString(16).padStart(8, "0");
  if (avoid !== null && s === avoid.toLowerCase()) s = `${s[0] === "0" ? "1" : "0"}${s.slice(1)}`;
  return s;
}

/** The population's cohorts as one line: `updated 0.8, legacy 0.2, bad-expiry 0`. */
export function formatPopulation(population: Population): string {
  return population.cohorts.map((c) => `${c.name} ${c.share}`).join(", ");
}
