/**
 * `rtm-auth-gateway/client/testing`: an embedded gateway for users' own test suites.
 *
 * `startGateway({ clock: "manual" })` starts a real gateway in this process on 127.0.0.1, port 0
 * (in-memory store, no dev seed, silent logs) and returns its WebSocket `url`, a typed `admin`
 * client for its admin API, a `clock` handle and `close()`. With the manual clock, time stands
 * still until the test moves it; advancing fires every due will-expire and expiry event before
 * the call resolves, so an hour-long token scenario runs in milliseconds.
 *
 * This file is the ONE place in client/ allowed to import gateway code, and only
 * `gateway/main.ts` (the composition root: it embeds the gateway); test/unit/dependency-rule.test.ts
 * enforces the exception. Everything else in client/ talks to the gateway over the wire only, and
 * `client/admin-client.ts` over HTTP only. Importing this entry therefore loads the gateway and its
 * dependencies (express, ws, ioredis, prom-client, pino): use it in tests, not in an app.
 */
import { SimulatedClock, startGateway as startEmbeddedGateway, type Gateway, type GatewayConfigInput } from "../gateway/main.js";
import { createAdminClient, type AdminClient, type PopulateProject, type ProjectView } from "./admin-client.js";

export { AdminApiError, createAdminClient, waitForDecision } from "./admin-client.js";
export type {
  AdminClient,
  AdminClientOptions,
  CertificateView,
  ClockView,
  ExplainRequest,
  Explanation,
  FaultAction,
  FaultActionInput,
  FaultOp,
  FaultRuleInput,
  FaultRuleSpec,
  FaultRuleView,
  JournalEntry,
  JournalFilter,
  JournalOp,
  JournalPage,
  JournalResult,
  MintedToken,
  MintTokenRequest,
  PopulateProject,
  PopulateResult,
  ProjectView,
  SessionInfo,
  WaitOptions,
} from "./admin-client.js";

/** Options of {@link startGateway}. */
export interface TestGatewayOptions {
  /**
   * `manual` (default): the simulated clock is frozen at `now` and moves only through `clock.set`
   * / `clock.advance` (or the admin API). `real`: it runs at real time, and can still be set and
   * advanced.
   */
  readonly clock?: "manual" | "real";
  /** Manual clock: the start instant, Unix seconds (default: the current time, whole seconds). */
  readonly now?: number;
  /** Projects to set up before the gateway is returned (as `POST /admin/populate`). */
  readonly projects?: readonly PopulateProject[];
  /**
   * Gateway settings (gateway/config.ts field names, e.g. `{ willExpireSeconds: 30, journalSize: 1000 }`).
   * Defaults here: port 0, host 127.0.0.1, no dev seed, log level `silent`.
   */
  readonly config?: GatewayConfigInput;
  /** Bearer JWT for the admin client, when `config` turns admin authentication on. */
  readonly bearer?: string;
}

/** The simulated clock of a test gateway. */
export interface TestClock {
  /** The simulated time now, Unix seconds (read in-process, synchronously). */
  now(): number;
  /** Sets the simulated time (Unix seconds) through the admin API; resolves once due events have fired. */
  set(seconds: number): Promise<number>;
  /** Moves the simulated time by `seconds` through the admin API; resolves once due events have fired. */
  advance(seconds: number): Promise<number>;
}

/** A running test gateway. */
export interface TestGateway {
  /** The WebSocket endpoint for `createRtmClient({ url, … })`, e.g. `ws://127.0.0.1:54321/rtm`. */
  readonly url: string;
  /** The HTTP base (admin API, metrics, health), e.g. `http://127.0.0.1:54321`. */
  readonly httpUrl: string;
  /** A typed client of this gateway's admin API. */
  readonly admin: AdminClient;
  readonly clock: TestClock;
  /** The projects set up from `options.projects` (certificates included), in the given order. */
  readonly projects: readonly ProjectView[];
  /** The embedded gateway itself, for what the admin API does not offer. */
  readonly gateway: Gateway;
  /** Closes every connection (4002) and the server. Idempotent. */
  close(): Promise<void>;
}

/** Starts an in-process gateway on 127.0.0.1, port 0. */
export async function startGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const mode = options.clock ?? "manual";
  if (mode !== "manual" && mode !== "real") throw new TypeError(`clock must be "manual" or "real", not ${String(mode)}`);
  const clock = new SimulatedClock(mode === "manual" ? { frozenAtSeconds: options.now ?? Math.floor(Date.now() / 1000) } : {});
  if (mode === "real" && options.now !== undefined) clock.set(options.now);
  const config: GatewayConfigInput = { port: 0, host: "127.0.0.1", devSeed: false, logLevel: "silent", ...options.config };
  const gateway = await startEmbeddedGateway({ config, clock });
  const admin = createAdminClient(gateway.httpUrl, options.bearer === undefined ? {} : { bearer: options.bearer });
  let projects: readonly ProjectView[] = [];
  try {
    if (options.projects !== undefined && options.projects.length > 0) projects = (await admin.populate(options.projects)).projects;
  } catch (err) {
    await gateway.close();
    throw err;
  }
  return {
    url: gateway.url,
    httpUrl: gateway.httpUrl,
    admin,
    clock: {
      now: () => clock.nowSeconds(),
      set: async (seconds) => (await admin.clock.set({ now: seconds })).now,
      advance: async (seconds) => (await admin.clock.advance(seconds)).now,
    },
    projects,
    gateway,
    close: () => gateway.close(),
  };
}
