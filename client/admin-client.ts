/**
 * A small typed HTTP client for the gateway's admin API (docs/protocol.md, "Admin API"), for users' own
 * test suites: projects, certificates, migration readiness and staged rollouts, tokens, explain,
 * sessions, the simulated clock, faults, the journal, reset and populate. It talks HTTP only (global `fetch`), so it works against any
 * gateway, embedded or remote; it never imports gateway code.
 *
 * Every failed call rejects with an {@link AdminApiError} carrying the HTTP status and the admin
 * API's stable error `code`.
 *
 * Store writes (project creation, the certificate steps, rollout plans and actions, reset, populate) carry an
 * `Idempotency-Key` (one random key per call). When the gateway answers 503 `outcome_unknown`
 * (the write was sent to Redis but its outcome could not be confirmed), the client repeats the
 * same request with the same key, a bounded number of times with a growing delay: the gateway
 * applies a keyed write at most once, so a repeat either finds it applied (and answers with the
 * project) or applies it now. Once a write's outcome has been unknown, a later `store_unavailable`
 * or network error does not settle it, so the client keeps trying; when the attempts run out it
 * rejects with `outcome_unknown` and the key (docs/redis.md). A first `store_unavailable` is
 * final (nothing was changed) and is not retried.
 */
import type { AuthMode } from "../core/certificate/project.js";
import type { FailureReason, Reason } from "../core/errors.js";
import type { FaultAction, FaultRuleSpec, FaultRuleView } from "../core/fault/fault-rule.js";
import type {
  CertificateView,
  ClockView,
  DecisionOp,
  DecisionResult,
  DryRunResult,
  Explanation,
  JournalEntry,
  MigrationStep,
  ProjectView,
  ReadinessReport,
  RolloutView,
} from "../core/protocol/admin.js";
import type { Profile } from "../core/protocol/wire.js";
import type { FinalStep, Guard, GuardOp, RolloutAction, RolloutPlan, RolloutStage } from "../core/rollout/rollout.js";
import type { SessionInfo } from "../core/session/session.js";

export type { CertificateView, ClockView, Explanation, JournalEntry, ProjectView, RolloutView };
export type { GuardView, RolloutSummary } from "../core/protocol/admin.js";
export type { FinalStep, RolloutAction, RolloutPlan, RolloutStatus, RolloutTransition } from "../core/rollout/rollout.js";

/** A guard as a plan writes it: `op` defaults to `login`. */
export type GuardInput = Omit<Guard, "op"> & { readonly op?: GuardOp };
/** A stage as a plan writes it: `guards` defaults to none. */
export type RolloutStageInput = Omit<RolloutStage, "guards"> & { readonly guards?: readonly GuardInput[] };
/**
 * A staged rollout plan as `PUT /admin/projects/:appId/rollout` takes it (docs/rollouts.md):
 * `advance` defaults to `auto`; at most 20 stages of at most 10 guards.
 */
export type RolloutPlanInput = Omit<RolloutPlan, "advance" | "stages"> & { readonly advance?: RolloutPlan["advance"]; readonly stages: readonly RolloutStageInput[] };
/** Operations and results the journal records. */
export type JournalOp = DecisionOp;
export type JournalResult = DecisionResult;

export type { FaultAction, FaultOp, FaultRuleSpec, FaultRuleView } from "../core/fault/fault-rule.js";
export type { SessionInfo } from "../core/session/session.js";

/** A fault action as `POST /admin/faults` takes it: `fail` defaults its reason to `fault_injected`. */
export type FaultActionInput = Exclude<FaultAction, { readonly type: "fail" }> | { readonly type: "fail"; readonly reason?: FailureReason };

/** A fault rule as `POST /admin/faults` takes it (fields documented on FaultRuleSpec). */
export type FaultRuleInput = Omit<FaultRuleSpec, "action"> & { readonly action: FaultActionInput };

/** A refusal of the admin API: `{"error": {"code", "message", "field"?}}` with its HTTP status. */
export class AdminApiError extends Error {
  readonly status: number;
  /** The stable snake_case code, e.g. `project_not_found`, `invalid_request`. */
  readonly code: string;
  /** For `invalid_request`: the first offending field. */
  readonly field: string | undefined;
  /**
   * For `outcome_unknown` after the client's own attempts: the `Idempotency-Key` the write was
   * sent with. Sending the same request with it again later is safe (at most once, for 24 h).
   */
  readonly idempotencyKey: string | undefined;

  constructor(status: number, code: string, message: string, field?: string, idempotencyKey?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.idempotencyKey = idempotencyKey;
  }

  override get name(): string {
    return "AdminApiError";
  }
}

/** One project of `POST /admin/populate`. */
export interface PopulateProject {
  /** 32 hex characters. */
  readonly appId: string;
  readonly mode: AuthMode;
  /** 32 hex characters; absent: keep the existing primary, else generate one (`either`, `token`). */
  readonly primary?: string;
  /** 32 hex characters, `true` (keep the existing one, else generate), or absent (none). */
  readonly secondary?: string | true;
  /** If given, must be `mode !== "token"`. */
  readonly noCertificate?: boolean;
  /** A staged rollout to start on the project (the same plan as its current one keeps that rollout as it is). */
  readonly rollout?: RolloutPlanInput;
}

/** The reply of `POST /admin/populate`. */
export interface PopulateResult {
  readonly projects: readonly ProjectView[];
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
}

/** `POST /admin/tokens`. */
export interface MintTokenRequest {
  readonly appId: string;
  readonly uid: string;
  readonly version: "006" | "007";
  /** 007: token and privilege lifetime; 006: privilege lifetime (0 = none), the token itself lives 24 h. */
  readonly expireSeconds: number;
  readonly certificate?: "primary" | "secondary";
}

export interface MintedToken {
  readonly token: string;
  readonly version: "006" | "007";
  /** The last valid second, as the gateway computes it. */
  readonly expiresAt: number;
}

/** `POST /admin/explain`. */
export interface ExplainRequest {
  readonly appId: string;
  readonly uid: string;
  readonly token?: string | null;
  readonly profile?: Profile;
}

/** Filters of the journal; every given field must match. */
export interface JournalFilter {
  readonly appId?: string;
  readonly uid?: string;
  readonly op?: JournalOp;
  readonly result?: JournalResult;
  readonly reason?: Reason;
  readonly faultId?: string;
  /** Only entries with a larger `seq`. */
  readonly since?: number;
  /** At most this many (default 100), newest first. */
  readonly limit?: number;
}

export interface JournalPage {
  readonly entries: readonly JournalEntry[];
  /** The newest entry's seq (0 when empty): pass it as `since` to see only what comes next. */
  readonly lastSeq: number;
  readonly capacity: number;
}

/** Options of {@link waitForDecision}. */
export interface WaitOptions {
  /** Give up after this long (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Poll this often (default 20 ms). */
  readonly intervalMs?: number;
  /** Only decisions with a larger seq than this (default 0: any decision still in the journal). */
  readonly since?: number;
  /** Bearer JWT, when the gateway's admin API requires one. */
  readonly bearer?: string;
}

/** Options of {@link createAdminClient}. */
export interface AdminClientOptions {
  /** Bearer JWT, when the gateway's admin API requires one (ADMIN_JWT_SECRET / ADMIN_JWKS_URL). */
  readonly bearer?: string;
  /**
   * How many times a store write is sent in all while its outcome is unknown (503
   * `outcome_unknown`), 1 to 20. Default 5; 1 = never repeat.
   */
  readonly writeAttempts?: number;
  /** The delay before the first repeat, doubled for each next one up to 2 000 ms. Default 200 ms. */
  readonly retryDelayMs?: number;
}

/** The longest delay between two attempts of a write whose outcome is unknown. */
const MAX_RETRY_DELAY_MS = 2_000;

/** The call behind each dry-run (docs/migration.md). */
const DRY_RUN_CALLS: Readonly<Record<Exclude<MigrationStep, "delete_primary">, readonly ["POST" | "DELETE", string]>> = {
  delete_no_certificate: ["DELETE", "/no-certificate"],
  delete_secondary: ["DELETE", "/certificates/secondary"],
  swap: ["POST", "/certificates/swap"],
};

/** The admin API, one method per call. */
export interface AdminClient {
  /** The gateway's HTTP base, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly projects: {
    create(body: { mechanism: "appid" | "token"; appId?: string }): Promise<ProjectView>;
    list(): Promise<ProjectView[]>;
    get(appId: string): Promise<ProjectView>;
  };
  readonly certificates: {
    enablePrimary(appId: string): Promise<ProjectView>;
    enableSecondary(appId: string): Promise<ProjectView>;
    swap(appId: string): Promise<ProjectView>;
    deleteSecondary(appId: string): Promise<ProjectView>;
    deleteNoCertificate(appId: string): Promise<ProjectView>;
  };
  /** Migration readiness and dry-runs (docs/migration.md). */
  readonly migration: {
    /** The readiness report over the last `windowSeconds` (default and at most 3600) of the simulated clock. */
    readiness(appId: string, windowSeconds?: number): Promise<ReadinessReport>;
    /** What a step that cannot be undone would do, changing nothing (`?dryRun=true`); refused as the real step would be. */
    dryRun(appId: string, step: Exclude<MigrationStep, "delete_primary">): Promise<DryRunResult>;
    /** The project's staged rollout (docs/rollouts.md). */
    readonly rollout: {
      /** The rollout with its applied stage's counts and guards; rejects 404 `rollout_not_found` when none was put. */
      get(appId: string): Promise<RolloutView>;
      /** Puts a plan and starts it at its first stage (409 `rollout_in_progress` while one runs or is paused). */
      put(appId: string, plan: RolloutPlanInput): Promise<RolloutView>;
      /**
       * An operator's action. `confirm` names the plan's final step: needed by `advance` from the
       * last stage, which then performs that step (it cannot be undone). Rejects with the state
       * machine's code, e.g. 409 `confirmation_required`, `guards_not_holding`, `rollout_not_running`.
       * `revision`: act only if the rollout is still at that revision (else 409 `revision_mismatch`),
       * so two operators acting on the same view move it once.
       */
      act(appId: string, action: RolloutAction, options?: { readonly confirm?: FinalStep; readonly revision?: number }): Promise<RolloutView>;
    };
  };
  readonly tokens: { mint(body: MintTokenRequest): Promise<MintedToken> };
  explain(body: ExplainRequest): Promise<Explanation>;
  readonly sessions: {
    list(filter?: { appId?: string; uid?: string }): Promise<SessionInfo[]>;
    /** Kicks a session (close 4502). */
    kick(sessionId: string): Promise<void>;
  };
  readonly clock: {
    get(): Promise<ClockView>;
    set(body: { now?: number; frozen?: boolean }): Promise<ClockView>;
    /** Moves the clock; due expiry events have fired when this resolves. */
    advance(seconds: number): Promise<ClockView>;
  };
  readonly faults: {
    add(rule: FaultRuleInput): Promise<FaultRuleView>;
    list(): Promise<FaultRuleView[]>;
    remove(id: string): Promise<void>;
    clear(): Promise<void>;
  };
  readonly journal: {
    query(filter?: JournalFilter): Promise<JournalPage>;
    /** See {@link waitForDecision}. */
    waitFor(filter: Omit<JournalFilter, "since" | "limit">, options?: Omit<WaitOptions, "bearer">): Promise<JournalEntry>;
  };
  /**
   * Back to the start state: sessions closed with 4002, no faults, projects or journal, the clock at
   * real time; with the dev seed on, the dev projects are seeded again in their start state.
   */
  reset(): Promise<void>;
  /** Idempotent setup of projects. */
  populate(projects: readonly PopulateProject[]): Promise<PopulateResult>;
}

/** `http://host:port`, `http://host:port/` and `http://host:port/admin` all name the same gateway. */
function baseOf(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/admin$/, "");
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** Creates an admin client for the gateway at `url` (its HTTP base; a trailing `/admin` is accepted). */
export function createAdminClient(url: string, options: AdminClientOptions = {}): AdminClient {
  const base = baseOf(url);
  const writeAttempts = options.writeAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 200;
  if (!Number.isInteger(writeAttempts) || writeAttempts < 1 || writeAttempts > 20) throw new RangeError("writeAttempts must be an integer from 1 to 20");
  if (!(retryDelayMs >= 0 && retryDelayMs <= MAX_RETRY_DELAY_MS)) throw new RangeError(`retryDelayMs must be 0 to ${MAX_RETRY_DELAY_MS}`);
  const call = async <T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> => {
    const headers: Record<string, string> = {};
    if (options.bearer !== undefined) headers["authorization"] = `Bearer ${options.bearer}`;
    if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${base}/admin${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)?.error;
      throw new AdminApiError(
        res.status,
        typeof e?.code === "string" ? e.code : "http_error",
        typeof e?.message === "string" ? e.message : `${method} /admin${path}: HTTP ${res.status}`,
        typeof e?.field === "string" ? e.field : undefined,
      );
    }
    return parsed as T;
  };
  /** A store write: keyed, and repeated while its outcome is unknown (see the file's header). */
  const write = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const key = globalThis.crypto.randomUUID();
    let unknown = false;
    for (let attempt = 1; attempt <= writeAttempts; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.min(retryDelayMs * 2 ** (attempt - 2), MAX_RETRY_DELAY_MS)));
      try {
        return await call<T>(method, path, body, key);
      } catch (err) {
        if (err instanceof AdminApiError && err.status === 503 && err.code === "outcome_unknown") {
          unknown = true;
          continue;
        }
        // This attempt changed nothing (or its fate is as unknown as the first's): the first
        // attempt may still land, so only a repeat with the key can settle it.
        const unsettled = (err instanceof AdminApiError && err.status === 503 && err.code === "store_unavailable") || !(err instanceof AdminApiError);
        if (unknown && unsettled) continue;
        throw err;
      }
    }
    throw new AdminApiError(
      503,
      "outcome_unknown",
      `${method} /admin${path}: the write may or may not have been applied (not confirmed after ${writeAttempts} attempts); ` +
        `read the project back before retrying, or send it again with Idempotency-Key ${key}`,
      undefined,
      key,
    );
  };
  const step = (method: string, suffix: string) => (appId: string) => write<ProjectView>(method, `/projects/${enc(appId)}${suffix}`);
  const journalQuery = (filter: JournalFilter = {}) =>
    call<JournalPage>(
      "GET",
      `/journal${query({
        appId: filter.appId,
        uid: filter.uid,
        op: filter.op,
        result: filter.result,
        reason: filter.reason,
        faultId: filter.faultId,
        since: filter.since,
        limit: filter.limit,
      })}`,
    );

  return {
    url: base,
    projects: {
      create: (body) => write("POST", "/projects", body),
      list: async () => (await call<{ projects: ProjectView[] }>("GET", "/projects")).projects,
      get: (appId) => call("GET", `/projects/${enc(appId)}`),
    },
    certificates: {
      enablePrimary: step("POST", "/certificates/primary"),
      enableSecondary: step("POST", "/certificates/secondary"),
      swap: step("POST", "/certificates/swap"),
      deleteSecondary: step("DELETE", "/certificates/secondary"),
      deleteNoCertificate: step("DELETE", "/no-certificate"),
    },
    migration: {
      readiness: (appId, windowSeconds) => call("GET", `/projects/${enc(appId)}/readiness${query({ windowSeconds })}`),
      dryRun: (appId, step) => {
        const [method, suffix] = DRY_RUN_CALLS[step];
        return call(method, `/projects/${enc(appId)}${suffix}?dryRun=true`);
      },
      rollout: {
        get: (appId) => call("GET", `/projects/${enc(appId)}/rollout`),
        put: (appId, plan) => write("PUT", `/projects/${enc(appId)}/rollout`, plan),
        act: (appId, action, actOptions = {}) => {
          const body = { ...(actOptions.confirm === undefined ? {} : { confirm: actOptions.confirm }), ...(actOptions.revision === undefined ? {} : { revision: actOptions.revision }) };
          return write("POST", `/projects/${enc(appId)}/rollout/${enc(action)}`, Object.keys(body).length === 0 ? undefined : body);
        },
      },
    },
    tokens: { mint: (body) => call("POST", "/tokens", body) },
    explain: (body) => call("POST", "/explain", body),
    sessions: {
      list: async (filter = {}) => (await call<{ sessions: SessionInfo[] }>("GET", `/sessions${query({ appId: filter.appId, uid: filter.uid })}`)).sessions,
      kick: async (sessionId) => {
        await call("DELETE", `/sessions/${enc(sessionId)}`);
      },
    },
    clock: {
      get: () => call("GET", "/clock"),
      set: (body) => call("PUT", "/clock", body),
      advance: (seconds) => call("POST", "/clock/advance", { seconds }),
    },
    faults: {
      add: (rule) => call("POST", "/faults", rule),
      list: async () => (await call<{ faults: FaultRuleView[] }>("GET", "/faults")).faults,
      remove: async (id) => {
        await call("DELETE", `/faults/${enc(id)}`);
      },
      clear: async () => {
        await call("DELETE", "/faults");
      },
    },
    journal: {
      query: journalQuery,
      waitFor: (filter, waitOptions = {}) => pollJournal(journalQuery, filter, waitOptions),
    },
    reset: async () => {
      await write("POST", "/reset");
    },
    populate: (projects) => write("POST", "/populate", { projects }),
  };
}

async function pollJournal(
  journalQuery: (filter: JournalFilter) => Promise<JournalPage>,
  filter: Omit<JournalFilter, "since" | "limit">,
  options: Omit<WaitOptions, "bearer">,
): Promise<JournalEntry> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const page = await journalQuery({ ...filter, since: options.since ?? 0, limit: 1 });
    const found = page.entries[0];
    if (found !== undefined) return found;
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`no decision matching ${JSON.stringify(filter)} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}

/**
 * Waits until the journal of the gateway at `adminUrl` (its HTTP base) holds a decision matching
 * `filter`, polling `GET /admin/journal`; resolves with the newest such entry. With `since` (a
 * `seq`, e.g. `lastSeq` of an earlier query) only later decisions count. Rejects with an Error after
 * `timeoutMs`, and with an {@link AdminApiError} (`journal_disabled`) when the journal is off.
 */
export function waitForDecision(adminUrl: string, filter: Omit<JournalFilter, "since" | "limit">, options: WaitOptions = {}): Promise<JournalEntry> {
  const admin = createAdminClient(adminUrl, options.bearer === undefined ? {} : { bearer: options.bearer });
  return admin.journal.waitFor(filter, options);
}
