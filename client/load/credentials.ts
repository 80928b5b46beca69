/**
 * Where a virtual user's login comes from: its uid, its credential kind (drawn from the mix),
 * whether it is one of the deliberately invalid ones, and its pre-masked login frame. Tokens are
 * minted locally with the token core (`--certificate`) or by the gateway's admin API
 * (`POST /admin/tokens`, `--admin-url`). Invalid tokens are always minted locally, signed with a
 * random certificate that is not the project's, so the gateway refuses them with
 * `invalid_signature`. Login specs are built ahead of a timed phase ({@link CredentialSource.fill})
 * so that minting does not compete with the run for CPU.
 */
import { buildRtmToken } from "../../core/token/index.js";
import type { Profile } from "../../core/protocol/wire.js";
import { drawKind, type CredentialKind, type Mix } from "./mix.js";
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
  /** Every uid starts with this; a counter follows. */
  readonly uidPrefix: string;
}

/** The expected refusal reason of an invalid token. */
export const INVALID_TOKEN_REASON = "invalid_signature";

/** Concurrent admin API requests while filling the pool. */
const ADMIN_CONCURRENCY = 16;

const epochSeconds = (): number => Math.floor((performance.timeOrigin + performance.now()) / 1000);

function hex32(random: () => number): string {
  let s = "";
  for (let i = 0; i < 4; i++) s += Math.floor(random() * 2 ** 32).toString(16).padStart(8, "0");
  return s;
}

/** Builds login specs and renew frames for one worker. */
export class CredentialSource {
  private readonly o: CredentialSourceOptions;
  private readonly random: () => number;
  private readonly wrongCertificate: string;
  private readonly pool: LoginSpec[] = [];
  private taken = 0;
  private counter = 0;

  constructor(options: CredentialSourceOptions) {
    this.o = options;
    this.random = seededRandom(options.seed);
    let wrong = hex32(this.random);
    if (options.minting.kind === "certificate" && wrong === options.minting.certificate.toLowerCase()) wrong = `${wrong[0] === "0" ? "1" : "0"}${wrong.slice(1)}`;
    this.wrongCertificate = wrong;
  }

  /** Specs built and not yet used. */
  get ready(): number {
    return this.pool.length - this.taken;
  }

  /** Builds specs until `count` are ready (before a timed phase). */
  async fill(count: number): Promise<void> {
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

  /** The next login: from the pool, or built now (a promise when the admin API mints it). */
  next(): LoginSpec | Promise<LoginSpec> {
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

  /** A fresh valid token for `spec`'s uid and version, as a masked renewToken frame with `id`. */
  renewFrame(spec: LoginSpec, id: number): Buffer | Promise<Buffer> {
    const version = spec.kind === "token006" ? "006" : "007";
    const frame = (token: string): Buffer => maskedTextFrame(`{"id":${id},"op":"renewToken","token":${JSON.stringify(token)}}`);
    const m = this.o.minting;
    if (m.kind === "certificate") return frame(this.localToken(version, spec.uid, m.certificate));
    return this.adminToken(version, spec.uid).then(frame);
  }

  private draw(): { uid: string; kind: CredentialKind; invalid: boolean } {
    const kind = drawKind(this.o.mix, this.random());
    const invalid = this.o.invalid > 0 && this.random() < this.o.invalid;
    return { uid: `${this.o.uidPrefix}${(this.counter++).toString(36)}`, kind, invalid };
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
    const login = `{"id":1,"op":"login","appId":${JSON.stringify(this.o.appId)},"uid":${JSON.stringify(d.uid)},"token":${token === null ? "null" : JSON.stringify(token)},"profile":"${this.o.profile}"}`;
    return { ...d, frame: maskedTextFrame(login) };
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

  private async adminToken(version: "006" | "007", uid: string): Promise<string> {
    const m = this.o.minting;
    if (m.kind !== "admin") throw new Error("adminToken needs admin minting");
    const res = await fetch(`${m.adminUrl}/admin/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(m.adminToken === undefined ? {} : { authorization: `Bearer ${m.adminToken}` }) },
      body: JSON.stringify({ appId: this.o.appId, uid, version, expireSeconds: this.o.tokenTtlSeconds }),
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
