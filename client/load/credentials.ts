/**
 * Where a virtual user's login comes from: its uid, its credential kind (drawn from the mix),
 * whether it is one of the deliberately invalid ones, and its pre-masked login frame. Tokens are
 * minted locally with the token core (`--certificate`) or by the gateway's admin API
 * (`POST /admin/tokens`, `--admin-url`). Invalid tokens are always minted locally, signed with a
 * random certificate that is not the project's, so the gateway refuses them with
 * `invalid_signature`. Login specs are built ahead of a timed phase ({@link CredentialSource.fill})
 * so that minting does not compete with the run for CPU.
 *
 * With a population (`--population FILE`, docs/population.md) each virtual user is instead a
 * client of a cohort drawn by share: an idle uid of the cohort's pool (`NAME-i`, split between the
 * worker threads: worker w of n owns the indices i ≡ w mod n), its token minted as the cohort's
 * token server would (bug included), its hold and renewal from the cohort. A uid is taken while
 * its user runs and given back by {@link CredentialSource.release}; when every uid of the drawn
 * cohort is taken, {@link CredentialSource.next} answers null (the arrival is skipped). Population
 * logins are built when they start, never ahead: a prepared login would hold its uid.
 */
import { buildRtmToken } from "../../core/token/index.js";
import type { Profile } from "../../core/protocol/wire.js";
import { drawKind, type CredentialKind, type Mix } from "./mix.js";
import { cohortUid, drawCohort, expectedReason, mintCohortToken, randomCertificate, wrongUidFor, type Cohort, type Population } from "./population.js";
import { seededRandom } from "./rng.js";
import { maskedTextFrame } from "./ws-frames.js";

/** How valid tokens are minted. */
export type Minting =
  | { readonly kind: "certificate"; readonly certificate: string }
  | {
      readonly kind: "admin";
      /** The gateway's HTTP base, e.g. http://127.0.0.1:8080 (the admin API is under /admin). */
      readonly adminUrl: string;
      /** A bearer JWT for an admin API that requires one. Never logged. */
      readonly adminToken?: string;
    };

/** One virtual user's login. */
export interface LoginSpec {
  readonly uid: string;
  readonly kind: CredentialKind;
  /** True for a deliberately bad token (expected refusal: `invalid_signature`). */
  readonly invalid: boolean;
  /** The masked login frame (request id 1). */
  readonly frame: Buffer;
  /** The expected refusal reason (null: an accept is expected). */
  readonly expect: string | null;
  /** Population runs: the cohort's index and the uid's index in its pool; -1 otherwise. */
  readonly cohort: number;
  readonly uidIndex: number;
  /** How long to stay logged in, and how often to renew (0 = never), wall milliseconds. */
  readonly holdMs: number;
  readonly renewEveryMs: number;
}

export interface CredentialSourceOptions {
  readonly appId: string;
  readonly profile: Profile;
  readonly mix: Mix;
  /** Share of virtual users with a deliberately invalid token, in [0, 1]. */
  readonly invalid: number;
  /** Lifetime of minted tokens (007: token and privilege; 006: the RTM privilege). */
  readonly tokenTtlSeconds: number;
  readonly minting: Minting;
  readonly seed: number;
  /** Every uid starts with this; a counter follows (not used with a population). */
  readonly uidPrefix: string;
  /** Mix runs: the hold and renewal period of every user, wall milliseconds (0 = never renew). */
  readonly holdMs: number;
  readonly renewEveryMs: number;
  /** Draw users from this population instead of `mix` and `invalid` (docs/population.md). */
  readonly population?: Population | null;
  /** Population runs: this source's share of every uid pool (worker `index` of `count`). Default 0 of 1. */
  readonly partition?: { readonly index: number; readonly count: number };
}

/** The expected refusal reason of an invalid token. */
export const INVALID_TOKEN_REASON = "invalid_signature";

/** Concurrent admin API requests while filling the pool. */
const ADMIN_CONCURRENCY = 16;

const epochSeconds = (): number => Math.floor((performance.timeOrigin + performance.now()) / 1000);

/** A cohort's renewal period, wall milliseconds: its token lifetime less the renewal lead (0 = never). */
export function cohortRenewEveryMs(c: Cohort): number {
  return c.renewBeforeExpirySeconds === null || c.tokenTtlSeconds === null ? 0 : (c.tokenTtlSeconds - c.renewBeforeExpirySeconds) * 1000;
}

/** True when the admin API can mint `cohort`'s tokens (an `expired` token needs a backdated issue time: local minting only). */
export function adminCanMint(cohort: Cohort): boolean {
  return cohort.bug !== "expired";
}

/** One cohort's uid pool in one source: the indices it owns, the idle ones first. */
interface UidPool {
  readonly indices: Int32Array;
  idle: number;
}

/** Builds login specs and renew frames for one worker. */
export class CredentialSource {
  private readonly o: CredentialSourceOptions;
  private readonly random: () => number;
  private readonly wrongCertificate: string;
  private readonly pool: LoginSpec[] = [];
  private taken = 0;
  private counter = 0;
  private readonly population: Population | null;
  /** Population runs: per cohort, the uids this source owns. */
  private readonly pools: UidPool[];
  /** Population runs: per cohort, uid index → its position in the pool's `indices` (owned indices only). */
  private readonly slots: Int32Array[];

  constructor(options: CredentialSourceOptions) {
    this.o = options;
    this.random = seededRandom(options.seed);
    this.wrongCertificate = randomCertificate(this.random, options.minting.kind === "certificate" ? options.minting.certificate : null);
    this.population = options.population ?? null;
    const part = options.partition ?? { index: 0, count: 1 };
    this.pools = (this.population?.cohorts ?? []).map((c) => {
      const own = Math.max(0, Math.ceil((c.uids - part.index) / part.count));
      const indices = Int32Array.from({ length: own }, (_, k) => part.index + k * part.count);
      return { indices, idle: own };
    });
    this.slots = this.pools.map((p, ci) => {
      const at = new Int32Array(this.population!.cohorts[ci]!.uids);
      p.indices.forEach((uid, pos) => (at[uid] = pos));
      return at;
    });
  }

  /** Specs built and not yet used. */
  get ready(): number {
    return this.pool.length - this.taken;
  }

  /** Builds specs until `count` are ready (before a timed phase; nothing with a population). */
  async fill(count: number): Promise<void> {
    if (this.population !== null) return;
    if (this.taken > 0) {
      this.pool.splice(0, this.taken);
      this.taken = 0;
    }
    const want = count - this.pool.length;
    if (want <= 0) return;
    if (this.o.minting.kind === "certificate") {
      for (let i = 0; i < want; i++) this.pool.push(this.buildSync(this.draw()));
      return;
    }
    const draws = Array.from({ length: want }, () => this.draw());
    const built: LoginSpec[] = new Array<LoginSpec>(want);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < draws.length) {
        const i = next++;
        built[i] = await this.build(draws[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ADMIN_CONCURRENCY, want) }, lane));
    for (const s of built) this.pool.push(s);
  }

  /**
   * The next login: from the pool, or built now (a promise when the admin API mints it).
   * Population runs: `{ skipped: cohort }` when every uid of the drawn cohort is taken.
   */
  next(): LoginSpec | Promise<LoginSpec> | { readonly skipped: number } {
    if (this.population !== null) return this.nextOfPopulation(this.population);
    if (this.taken < this.pool.length) {
      const spec = this.pool[this.taken++]!;
      if (this.taken === this.pool.length) {
        this.pool.length = 0;
        this.taken = 0;
      }
      return spec;
    }
    const d = this.draw();
    return this.o.minting.kind === "certificate" ? this.buildSync(d) : this.build(d);
  }

  /** Gives a population user's uid back to its pool (its connection is over). No-op otherwise. */
  release(spec: LoginSpec): void {
    if (spec.cohort >= 0) this.releaseUid(spec.cohort, spec.uidIndex);
  }

  private releaseUid(cohort: number, uidIndex: number): void {
    const pool = this.pools[cohort]!;
    const slots = this.slots[cohort]!;
    const at = slots[uidIndex]!;
    if (at < pool.idle) return; // already idle
    // Swap it into the idle prefix.
    const other = pool.indices[pool.idle]!;
    pool.indices[at] = other;
    slots[other] = at;
    pool.indices[pool.idle] = uidIndex;
    slots[uidIndex] = pool.idle;
    pool.idle++;
  }

  /**
   * A fresh token for `spec`'s uid and version, as a masked renewToken frame with `id` (a
   * population user's from its cohort's token server, bug included).
   */
  renewFrame(spec: LoginSpec, id: number): Buffer | Promise<Buffer> {
    const version = spec.kind === "token006" ? "006" : "007";
    const frame = (token: string): Buffer => maskedTextFrame(`{"id":${id},"op":"renewToken","token":${JSON.stringify(token)}}`);
    if (spec.cohort >= 0) {
      // Only token cohorts renew (their token is never null).
      const built = this.cohortToken(this.population!.cohorts[spec.cohort]!, spec.uid);
      return built instanceof Promise ? built.then((t) => frame(t!)) : frame(built!);
    }
    const m = this.o.minting;
    if (m.kind === "certificate") return frame(this.localToken(version, spec.uid, m.certificate));
    return this.adminToken(version, spec.uid).then(frame);
  }

  private draw(): { uid: string; kind: CredentialKind; invalid: boolean } {
    const kind = drawKind(this.o.mix, this.random());
    const invalid = this.o.invalid > 0 && this.random() < this.o.invalid;
    return { uid: `${this.o.uidPrefix}${(this.counter++).toString(36)}`, kind, invalid };
  }

  private nextOfPopulation(population: Population): LoginSpec | Promise<LoginSpec> | { readonly skipped: number } {
    const ci = drawCohort(population, this.random());
    const pool = this.pools[ci]!;
    if (pool.idle === 0) return { skipped: ci };
    // Take a random idle uid: swap it to the end of the idle prefix.
    const pick = Math.floor(this.random() * pool.idle);
    const last = pool.idle - 1;
    const uidIndex = pool.indices[pick]!;
    const moved = pool.indices[last]!;
    pool.indices[pick] = moved;
    this.slots[ci]![moved] = pick;
    pool.indices[last] = uidIndex;
    this.slots[ci]![uidIndex] = last;
    pool.idle = last;
    const cohort = population.cohorts[ci]!;
    const uid = cohortUid(cohort, uidIndex);
    const kind: CredentialKind = cohort.credential === "appid" ? "appid" : cohort.tokenVersion === "006" ? "token006" : "token007";
    const make = (token: string | null): LoginSpec => ({
      uid,
      kind,
      invalid: false,
      frame: this.loginFrame(uid, token),
      expect: expectedReason(cohort),
      cohort: ci,
      uidIndex,
      holdMs: cohort.holdSeconds * 1000,
      renewEveryMs: cohortRenewEveryMs(cohort),
    });
    const giveBack = (): void => this.releaseUid(ci, uidIndex);
    let token: string | null | Promise<string | null>;
    try {
      token = this.cohortToken(cohort, uid);
    } catch (err) {
      giveBack();
      throw err;
    }
    if (!(token instanceof Promise)) return make(token);
    return token.then(make, (err: unknown) => {
      giveBack();
      throw err;
    });
  }

  /** `cohort`'s token for `uid` now: minted locally, or by the admin API (a promise). */
  private cohortToken(cohort: Cohort, uid: string): string | null | Promise<string | null> {
    if (cohort.credential === "appid") return null;
    const m = this.o.minting;
    const now = epochSeconds();
    const local = (certificate: string): string =>
      mintCohortToken(cohort, { appId: this.o.appId, certificate, wrongCertificate: this.wrongCertificate, uid, nowSeconds: now, salt: 1 + Math.floor(this.random() * (2 ** 32 - 2)) })!;
    if (cohort.bug === "wrong_certificate") return local(this.wrongCertificate);
    if (cohort.certificate === "secondary") {
      // Only the gateway knows the secondary here: --certificate gives the primary alone.
      if (m.kind === "certificate") throw new MintError(`cohort ${cohort.name} signs with the secondary certificate: mint with --admin-url (the gateway signs with its secondary)`);
      if (!adminCanMint(cohort)) throw new MintError(`cohort ${cohort.name}: ${cohort.bug} tokens are minted locally only (--certificate), and its tokens need the secondary certificate`);
      const version = cohort.tokenVersion!;
      const ttl = cohort.tokenTtlSeconds!;
      if (cohort.bug === "wrong_uid") return this.adminToken(version, wrongUidFor(uid), ttl, "secondary");
      return this.adminToken(version, uid, cohort.bug === "expiry_as_timestamp" ? now + ttl : ttl, "secondary");
    }
    if (m.kind === "certificate") return local(m.certificate);
    if (!adminCanMint(cohort)) throw new MintError(`cohort ${cohort.name}: ${cohort.bug} tokens are minted locally only (--certificate)`);
    const version = cohort.tokenVersion!;
    const ttl = cohort.tokenTtlSeconds!;
    if (cohort.bug === "wrong_uid") return this.adminToken(version, wrongUidFor(uid), ttl);
    // The admin API issues at the gateway's now; the mistake puts the client's Unix time in `expire`.
    if (cohort.bug === "expiry_as_timestamp") return this.adminToken(version, uid, now + ttl);
    return this.adminToken(version, uid, ttl);
  }

  private loginFrame(uid: string, token: string | null): Buffer {
    return maskedTextFrame(
      `{"id":1,"op":"login","appId":${JSON.stringify(this.o.appId)},"uid":${JSON.stringify(uid)},"token":${token === null ? "null" : JSON.stringify(token)},"profile":"${this.o.profile}"}`,
    );
  }

  private localToken(version: "006" | "007", uid: string, certificate: string): string {
    return buildRtmToken({
      version,
      appId: this.o.appId,
      certificate,
      uid,
      expireSeconds: this.o.tokenTtlSeconds,
      issueTs: epochSeconds(),
      salt: 1 + Math.floor(this.random() * (2 ** 32 - 2)),
    });
  }

  private spec(d: { uid: string; kind: CredentialKind; invalid: boolean }, token: string | null): LoginSpec {
    return {
      ...d,
      frame: this.loginFrame(d.uid, token),
      expect: d.invalid ? INVALID_TOKEN_REASON : null,
      cohort: -1,
      uidIndex: -1,
      holdMs: this.o.holdMs,
      renewEveryMs: this.o.renewEveryMs,
    };
  }

  private buildSync(d: { uid: string; kind: CredentialKind; invalid: boolean }): LoginSpec {
    const m = this.o.minting;
    if (d.invalid) return this.spec(d, this.localToken(d.kind === "token006" ? "006" : "007", d.uid, this.wrongCertificate));
    if (d.kind === "appid") return this.spec(d, null);
    if (m.kind !== "certificate") throw new Error("buildSync needs local minting");
    return this.spec(d, this.localToken(d.kind === "token006" ? "006" : "007", d.uid, m.certificate));
  }

  private async build(d: { uid: string; kind: CredentialKind; invalid: boolean }): Promise<LoginSpec> {
    if (d.invalid || d.kind === "appid" || this.o.minting.kind === "certificate") return this.buildSync(d);
    return this.spec(d, await this.adminToken(d.kind === "token006" ? "006" : "007", d.uid));
  }

  private async adminToken(version: "006" | "007", uid: string, expireSeconds = this.o.tokenTtlSeconds, certificate: "primary" | "secondary" = "primary"): Promise<string> {
    const m = this.o.minting;
    if (m.kind !== "admin") throw new Error("adminToken needs admin minting");
    const res = await fetch(`${m.adminUrl}/admin/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(m.adminToken === undefined ? {} : { authorization: `Bearer ${m.adminToken}` }) },
      body: JSON.stringify({ appId: this.o.appId, uid, version, expireSeconds, ...(certificate === "secondary" ? { certificate } : {}) }),
    });
    const text = await res.text();
    if (res.status !== 200) {
      let code = "";
      try {
        code = String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? "");
      } catch {
        // not JSON; the status says enough
      }
      throw new MintError(`POST /admin/tokens answered ${res.status}${code === "" ? "" : ` ${code}`}`);
    }
    const token = (JSON.parse(text) as { token?: unknown }).token;
    if (typeof token !== "string") throw new MintError("POST /admin/tokens answered without a token");
    return token;
  }
}

/** The admin API did not mint a token (its status and error code; never the token). */
export class MintError extends Error {
  override readonly name = "MintError";
}
