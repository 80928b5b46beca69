/**
 * The lanes of the soak (bench/soak.ts) besides the load generator's churn, each on its own
 * project, all through the client SDK and the typed admin client:
 *
 *  - expiry: sessions on short-lived tokens (admin-minted, so on the gateway's clock) that get
 *    `tokenPrivilegeWillExpire` and expire (close 4503); a third of them renew once on the warning.
 *    The simulated clock is advanced periodically (`POST /admin/clock/advance`), so expiries also
 *    fire from clock jumps, not only from timers.
 *  - faults: fault rules (delay, fail, never_reply, drop, kick) added and removed periodically, some
 *    left to end by their own `count` or `ttlSeconds`, while App ID and 007 logins with a renew and a
 *    logout run into them.
 *  - certificates: the secondary certificate enabled, swapped to primary, deleted, in a loop, while
 *    logins with tokens of either certificate run.
 *
 * Every lane is bounded: a fixed tick, a cap on clients alive at once (a tick over the cap is
 * counted as skipped), and a time bound on every await. Nothing a lane does throws: every outcome,
 * refusals and errors included, is counted by name ({@link Counts}). Tokens and certificates are
 * never printed or counted by value.
 */
import type { AdminClient, FaultRuleInput } from "../client/admin-client.js";
import { createRtmClient, type RtmClient } from "../client/index.js";
import type { Profile } from "../core/protocol/wire.js";

/** Named counters of one lane. Bounded: keys come from fixed labels plus reasons and close codes. */
export class Counts {
  private readonly map = new Map<string, number>();
  /** Most distinct keys; more are folded into `other`. */
  static readonly MAX_KEYS = 200;

  bump(key: string, n = 1): void {
    const k = this.map.has(key) || this.map.size < Counts.MAX_KEYS ? key : "other";
    this.map.set(k, (this.map.get(k) ?? 0) + n);
  }

  get(key: string): number {
    return this.map.get(key) ?? 0;
  }

  /** The counters, sorted by key. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}

/** A running lane. */
export interface Lane {
  readonly name: string;
  readonly counts: Counts;
  /** Login attempts so far (for the lane logins per second of each sample). */
  logins(): number;
  /** Stops the ticks and waits (bounded) for the clients alive to finish. */
  stop(): Promise<void>;
}

/** What the lanes share. */
export interface LaneContext {
  /** The gateway's WebSocket endpoint. */
  readonly url: string;
  readonly admin: AdminClient;
  /** A seeded generator in [0, 1). */
  readonly random: () => number;
}

/** The parameters of the lanes (copied into the soak's JSON, from which docs/soak.md is written). */
export const LANE_SETTINGS = Object.freeze({
  expiry: {
    /** A new short-token session every this many ms. */
    everyMs: 1_000,
    maxAlive: 120,
    /** Token lifetimes drawn uniformly from [min, max] seconds (the warning comes 30 s before the end). */
    tokenSecondsMin: 35,
    tokenSecondsMax: 75,
    /** Share of sessions that renew once on the warning. */
    renewShare: 1 / 3,
    /** Every this many ms the simulated clock is advanced by `advanceSeconds`. */
    advanceEveryMs: 15_000,
    advanceSeconds: 10,
  },
  faults: {
    /** A new rule every this many ms; each is removed `ruleLifeMs` later unless it ended by itself. */
    ruleEveryMs: 8_000,
    ruleLifeMs: 16_000,
    /** A login cycle (login, a renew for token logins, logout) every this many ms. */
    everyMs: 200,
    maxAlive: 40,
    /** Client-side timeouts, ms (a never_reply meets them). */
    clientTimeoutMs: 2_000,
  },
  certificates: {
    /** One step of enable secondary → swap → delete secondary every this many ms. */
    stepEveryMs: 10_000,
    /** A token login every this many ms, held 0 to `holdMaxMs`. */
    everyMs: 250,
    holdMaxMs: 3_000,
    maxAlive: 40,
  },
});

/** Longest any single await of a lane may take before it is given up (and counted), ms. */
const AWAIT_BOUND_MS = 5_000;
/** Longest a lane's stop waits for the clients still alive, ms. */
const STOP_BOUND_MS = 10_000;

/** What {@link within} resolves with. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Awaits `p` for at most `ms`; a timeout is an error `bound`. Never rejects. */
export async function within<T>(p: Promise<T>, ms = AWAIT_BOUND_MS): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: new BoundError() }), ms);
  });
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), bound]);
  } finally {
    clearTimeout(timer);
  }
}

class BoundError extends Error {
  constructor() {
    super("no answer within the lane's bound");
  }
}

/** A label for a failed call: the RtmError's or AdminApiError's reason/code, else the error's kind. */
export function why(error: unknown): string {
  if (error instanceof BoundError) return "bound";
  const e = error as { reason?: unknown; code?: unknown; status?: unknown; name?: unknown };
  if (typeof e.reason === "string") return e.reason;
  if (typeof e.status === "number" && typeof e.code === "string") return `http ${e.status} ${e.code}`;
  return typeof e.name === "string" ? e.name : "error";
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `body` every `everyMs` while fewer than `maxAlive` runs are alive (a tick over the cap is
 * counted as `skipped (cap)`). `stop()` ends the ticks and waits, bounded, for the runs alive.
 */
export function ticker(everyMs: number, maxAlive: number, counts: Counts, body: () => Promise<void>): { stop(): Promise<void> } {
  const alive = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (alive.size >= maxAlive) {
      counts.bump("skipped (cap)");
      return;
    }
    const run = body().catch(() => counts.bump("lane error"));
    alive.add(run);
    void run.finally(() => alive.delete(run));
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await within(Promise.all(alive), STOP_BOUND_MS);
    },
  };
}

/** Closes a client, bounded. */
async function closeClient(client: RtmClient): Promise<void> {
  await within(client.close(), AWAIT_BOUND_MS);
}

/** The expiry lane on project `appId` (mode token). */
export function startExpiryLane(ctx: LaneContext, appId: string): Lane {
  const s = LANE_SETTINGS.expiry;
  const counts = new Counts();
  let n = 0;
  let logins = 0;
  let stopping = false;
  /** The `finish` of every session waiting for its end, so that stop() ends them at once. */
  const waiting = new Set<() => void>();
  const ttl = (): number => s.tokenSecondsMin + Math.floor(ctx.random() * (s.tokenSecondsMax - s.tokenSecondsMin + 1));

  const session = async (): Promise<void> => {
    const i = n++;
    const profile: Profile = i % 2 === 0 ? "rtm1" : "rtm2";
    const version = i % 4 < 2 ? "007" : "006";
    const uid = `exp-${i}`;
    const renewer = ctx.random() < s.renewShare;
    const expireSeconds = ttl();
    const minted = await within(ctx.admin.tokens.mint({ appId, uid, version, expireSeconds }));
    if (!minted.ok) return counts.bump(`mint failed: ${why(minted.error)}`);
    const client = createRtmClient({ url: ctx.url, appId, profile });
    let renewed = false;
    let finish!: () => void;
    const ended = new Promise<void>((r) => (finish = r));
    client.on("tokenPrivilegeWillExpire", () => {
      counts.bump("tokenPrivilegeWillExpire");
      if (!renewer || renewed) return;
      renewed = true;
      void (async () => {
        const next = await within(ctx.admin.tokens.mint({ appId, uid, version, expireSeconds: ttl() }));
        if (!next.ok) return counts.bump(`mint failed: ${why(next.error)}`);
        const r = await within(client.renewToken(next.value.token));
        counts.bump(r.ok ? "renew accepted" : `renew failed: ${why(r.error)}`);
      })();
    });
    client.on("tokenExpired", () => counts.bump("tokenExpired"));
    client.on("closed", (e) => {
      counts.bump(`close ${e.code}`);
      finish();
    });
    logins++;
    const login = await within(client.login({ uid, token: minted.value.token }), 15_000);
    if (!login.ok) {
      counts.bump(`login failed: ${why(login.error)}`);
      return closeClient(client);
    }
    counts.bump(`login accepted (${version})`);
    // Bounded: the longest a token of this lane lives, a renewal's worth more, and slack.
    const bound = (s.tokenSecondsMax * 2 + 30) * 1000;
    waiting.add(finish);
    const r = stopping ? { ok: true } : await within(ended, bound);
    waiting.delete(finish);
    if (!r.ok) counts.bump("still open at the bound");
    await closeClient(client);
  };

  const sessions = ticker(s.everyMs, s.maxAlive, counts, session);
  const clock = setInterval(() => {
    void within(ctx.admin.clock.advance(s.advanceSeconds)).then((r) => counts.bump(r.ok ? "clock advanced" : `clock advance failed: ${why(r.error)}`));
  }, s.advanceEveryMs);
  return {
    name: "expiry",
    counts,
    logins: () => logins,
    stop: async () => {
      clearInterval(clock);
      stopping = true;
      // Sessions still waiting for their expiry are closed by us now (counted as close 1000).
      for (const f of waiting) f();
      await sessions.stop();
    },
  };
}

/** The fault rules the faults lane cycles through (App ID and uid filters are added per rule). */
export const FAULT_RULES: readonly Omit<FaultRuleInput, "appId" | "uid">[] = [
  { op: "login", probability: 0.5, seed: 1, action: { type: "delay", ms: 400 } },
  { op: "login", probability: 0.3, seed: 2, action: { type: "fail" } },
  { op: "renewToken", probability: 0.5, seed: 3, ttlSeconds: 12, action: { type: "never_reply" } },
  { op: "login", probability: 0.2, seed: 4, action: { type: "drop" } },
  { op: ["renewToken", "logout"], probability: 0.3, seed: 5, action: { type: "kick" } },
  { op: "logout", probability: 0.5, seed: 6, count: 10, action: { type: "delay", ms: 1_500 } },
  { op: "login", nth: 3, count: 2, action: { type: "never_reply" } },
  { op: "renewToken", probability: 0.3, seed: 8, action: { type: "fail" } },
];

/** The faults lane on project `appId` (mode either: App ID and token logins). */
export function startFaultsLane(ctx: LaneContext, appId: string): Lane {
  const s = LANE_SETTINGS.faults;
  const counts = new Counts();
  let n = 0;
  let logins = 0;
  let ruleIndex = 0;
  const removals = new Set<NodeJS.Timeout>();

  const addRule = async (): Promise<void> => {
    const rule = FAULT_RULES[ruleIndex++ % FAULT_RULES.length]!;
    const added = await within(ctx.admin.faults.add({ ...rule, appId, uid: "f-*" }));
    if (!added.ok) return counts.bump(`rule add failed: ${why(added.error)}`);
    counts.bump(`rule added: ${added.value.action.type}`);
    const timer = setTimeout(() => {
      removals.delete(timer);
      void within(ctx.admin.faults.remove(added.value.id)).then((r) => {
        if (r.ok) counts.bump("rule removed");
        else if (why(r.error).startsWith("http 404")) counts.bump("rule ended by itself (count or ttl)");
        else counts.bump(`rule remove failed: ${why(r.error)}`);
      });
    }, s.ruleLifeMs);
    removals.add(timer);
  };

  const cycle = async (): Promise<void> => {
    const i = n++;
    const uid = `f-${i}`;
    const profile: Profile = i % 2 === 0 ? "rtm1" : "rtm2";
    const withToken = i % 2 === 1;
    const client = createRtmClient({ url: ctx.url, appId, profile, loginTimeoutMs: s.clientTimeoutMs, renewTimeoutMs: s.clientTimeoutMs });
    client.on("closed", (e) => counts.bump(`close ${e.code}`));
    try {
      let token: string | null = null;
      if (withToken) {
        const minted = await within(ctx.admin.tokens.mint({ appId, uid, version: "007", expireSeconds: 3_600 }));
        if (!minted.ok) return counts.bump(`mint failed: ${why(minted.error)}`);
        token = minted.value.token;
      }
      logins++;
      const login = await within(client.login({ uid, token }));
      if (!login.ok) return counts.bump(`login failed: ${why(login.error)}`);
      counts.bump("login accepted");
      if (withToken) {
        const next = await within(ctx.admin.tokens.mint({ appId, uid, version: "007", expireSeconds: 3_600 }));
        if (next.ok) {
          const r = await within(client.renewToken(next.value.token));
          counts.bump(r.ok ? "renew accepted" : `renew failed: ${why(r.error)}`);
        }
      }
      const out = await within(client.logout(), s.clientTimeoutMs * 2);
      counts.bump(out.ok ? "logout accepted" : `logout failed: ${why(out.error)}`);
    } finally {
      await closeClient(client);
    }
  };

  const rules = setInterval(() => void addRule(), s.ruleEveryMs);
  void addRule();
  const cycles = ticker(s.everyMs, s.maxAlive, counts, cycle);
  return {
    name: "faults",
    counts,
    logins: () => logins,
    stop: async () => {
      clearInterval(rules);
      for (const t of removals) clearTimeout(t);
      removals.clear();
      await cycles.stop();
      const cleared = await within(ctx.admin.faults.clear());
      if (!cleared.ok) counts.bump(`rules clear failed: ${why(cleared.error)}`);
    },
  };
}

/** The certificate steps, in order, in a loop. */
const CERTIFICATE_STEPS = ["enable secondary", "swap", "delete secondary"] as const;

/** The certificates lane on project `appId` (mode token). */
export function startCertificatesLane(ctx: LaneContext, appId: string): Lane {
  const s = LANE_SETTINGS.certificates;
  const counts = new Counts();
  let n = 0;
  let logins = 0;
  let stepIndex = 0;
  let hasSecondary = false;

  const step = async (): Promise<void> => {
    const name = CERTIFICATE_STEPS[stepIndex++ % CERTIFICATE_STEPS.length]!;
    const c = ctx.admin.certificates;
    const call = name === "enable secondary" ? c.enableSecondary(appId) : name === "swap" ? c.swap(appId) : c.deleteSecondary(appId);
    const r = await within(call);
    if (!r.ok) return counts.bump(`${name} failed: ${why(r.error)}`);
    hasSecondary = r.value.certificates.secondary !== null;
    counts.bump(name);
  };

  const login = async (): Promise<void> => {
    const i = n++;
    const uid = `c-${i}`;
    const certificate = hasSecondary && ctx.random() < 0.5 ? "secondary" : "primary";
    const minted = await within(ctx.admin.tokens.mint({ appId, uid, version: i % 3 === 0 ? "006" : "007", expireSeconds: 3_600, certificate }));
    if (!minted.ok) return counts.bump(`mint failed (${certificate}): ${why(minted.error)}`);
    const client = createRtmClient({ url: ctx.url, appId, profile: i % 2 === 0 ? "rtm1" : "rtm2" });
    client.on("closed", (e) => counts.bump(`close ${e.code}`));
    try {
      logins++;
      const r = await within(client.login({ uid, token: minted.value.token }));
      if (!r.ok) return counts.bump(`login failed (${certificate}): ${why(r.error)}`);
      counts.bump(`login accepted (${certificate})`);
      await sleep(Math.floor(ctx.random() * s.holdMaxMs));
      const out = await within(client.logout());
      counts.bump(out.ok ? "logout accepted" : `logout failed: ${why(out.error)}`);
    } finally {
      await closeClient(client);
    }
  };

  const steps = setInterval(() => void step(), s.stepEveryMs);
  const loginTicks = ticker(s.everyMs, s.maxAlive, counts, login);
  return {
    name: "certificates",
    counts,
    logins: () => logins,
    stop: async () => {
      clearInterval(steps);
      await loginTicks.stop();
    },
  };
}
