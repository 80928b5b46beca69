/**
 * The gateway's configuration: one schema, a default and a doc comment per field, validated
 * once at start (errors name the field), then frozen. Environment variables map onto fields
 * (names in brackets). Misuse is a TypeError at startup, never an AuthError.
 */
import { z } from "zod";
import { resolveSwitches, type BehaviourSwitches } from "./fidelity.js";
import { parseRedisUrl, RedisUrlError } from "./infra/redis-url.js";

const bool = z
  .union([z.boolean(), z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"])], { error: "must be one of 1, true, yes, on (on) or 0, false, no, off (off)" })
  .transform((v) => v === true || v === "1" || v === "true" || v === "yes" || v === "on");
/** An integer given as a number or a plain decimal string (no blanks, hex or booleans); every refusal says the range. */
const int = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z
    .union([z.number(), z.string().trim().regex(/^-?\d+$/, "must be a decimal integer").transform(Number)], { error })
    .pipe(z.number().int({ error }).min(min, { error }).max(max, { error }));
};

export const configSchema = z
  .object({
    /** TCP port of the gateway: WebSocket, health, admin API, metrics and console. `0` picks a free port. [PORT] Default 8080. */
    port: int(0, 65535).default(8080),
    /** Address to listen on. [HOST] Default `127.0.0.1`; use `0.0.0.0` or `::` to accept remote clients. */
    host: z.string().min(1).default("127.0.0.1"),
    /** Largest WebSocket frame accepted, bytes; a larger one closes the socket with 1009. [MAX_FRAME_BYTES] Default 16384. */
    maxFrameBytes: int(256, 1 << 20).default(16 * 1024),
    /** Longest token accepted, characters, checked before any decoding (docs/tokens.md, "Size and version"). [MAX_TOKEN_LENGTH] Default 2048. */
    maxTokenLength: int(3, 2048).default(2048),
    /** Largest inflated 007 payload, bytes (zlib bombs stop here). [MAX_INFLATED_BYTES] Default 8192. */
    maxInflatedBytes: int(256, 65536).default(8192),
    /** Seconds a new connection may stay without a successful login before close 4001. `0` = no deadline. [LOGIN_DEADLINE_SECONDS] Default 15. */
    loginDeadlineSeconds: int(0, 3600).default(15),
    /** Most simultaneous WebSocket connections; more are refused with HTTP 503 at upgrade. [MAX_CONNECTIONS] Default 20000 (about one process's file limit here). */
    maxConnections: int(1, 1_000_000).default(20_000),
    /**
     * Sockets kept beyond MAX_CONNECTIONS for plain HTTP only (`/healthz`, `/readyz`, `/metrics`, the
     * admin API), so they stay answerable when the WebSocket limit is reached. The process accepts
     * at most MAX_CONNECTIONS + this many TCP sockets; more are closed at once.
     * [HTTP_RESERVE_CONNECTIONS] Default 32.
     */
    httpReserveConnections: int(1, 10_000).default(32),
    /**
     * Most open sockets from one IP address, counted from accept until the descriptor is released
     * (closing sockets count). More upgrades get HTTP 429. `0` = off (the default: a load test
     * runs from one host). [MAX_CONNECTIONS_PER_IP]
     */
    maxConnectionsPerIp: int(0, 1_000_000).default(0),
    /**
     * Milliseconds a socket may stay in the closing handshake (our close frame sent, the peer's
     * FIN not seen) before it is destroyed. [CLOSE_TIMEOUT_MS] Default 2000 (`ws` alone waits 30 s).
     */
    closeTimeoutMs: int(100, 60_000).default(2_000),
    /**
     * Seconds an HTTP request (headers and body, upgrades included) may take to arrive before
     * the socket is closed (slowloris). [HTTP_REQUEST_TIMEOUT_SECONDS] Default 10.
     */
    httpRequestTimeoutSeconds: int(1, 600).default(10),
    /**
     * Bytes of unsent frames one connection may hold. Past it the gateway stops reading that
     * client's socket until the buffer has drained (`rtm_auth_backpressure_pauses_total`). At
     * least 16384, the socket's own high-water mark. [MAX_BUFFERED_BYTES] Default 65536.
     */
    maxBufferedBytes: int(16 * 1024, 64 * 1024 * 1024).default(64 * 1024),
    /**
     * Requests of one connection that may wait unanswered behind a delayed one (fault rules); at
     * the bound the gateway stops reading the socket until they are answered.
     * [MAX_PENDING_REQUESTS] Default 32.
     */
    maxPendingRequests: int(1, 10_000).default(32),
    /**
     * Pings per second one connection may send (a token bucket holding one second's worth). Past
     * the budget every ping is still answered, and the gateway stops reading that socket until
     * the budget has refilled. [PINGS_PER_SECOND] Default 10.
     */
    pingsPerSecond: int(1, 100_000).default(10),
    /**
     * Seconds a SIGTERM drain waits for sessions to close after the 4002 close frames before it
     * destroys what remains and exits 0. [DRAIN_SECONDS] Default 5.
     */
    drainSeconds: int(0, 600).default(5),
    /**
     * How often, in real milliseconds, the gateway judges its projects' staged rollouts (guards,
     * stage times on the simulated clock; docs/rollouts.md). A clock jump and counted cohort
     * decisions also trigger a judgement. `0` = never by timer. [ROLLOUT_TICK_MS] Default 1000.
     */
    rolloutTickMs: int(0, 3_600_000).default(1000),
    /** New connections per second from one IP address; more get HTTP 429 at upgrade. `0` = off (the default, so a load test from one host is not throttled). [PER_IP_CONNECTIONS_PER_SECOND] */
    perIpConnectionsPerSecond: int(0, 1_000_000).default(0),
    /**
     * Calls of each method allowed per connection in any 1000 ms, each method in its own window
     * (`login`, `renewToken` and `logout`, as the SDKs count them); one more is `too_often`
     * (RTM 1.x documents 2 per second for login and for renewToken). The windows read the
     * gateway's real monotonic clock, never the simulated one (docs/fidelity.md, "Rate windows").
     * [CALLS_PER_SECOND] Default 2.
     */
    callsPerSecond: int(1, 1000).default(2),
    /** Seconds before expiry at which `tokenPrivilegeWillExpire` is pushed (RTM: 30). [WILL_EXPIRE_SECONDS] Default 30. */
    willExpireSeconds: int(0, 3600).default(30),
    /**
     * Longest effective token lifetime, seconds: a token's expiry (007 `expire`, 007 privileges,
     * the 006 RTM privilege) is at most its issue time plus this (Agora documents 24 h for RTM
     * tokens). `0` switches the cap off. [MAX_TOKEN_LIFETIME_SECONDS] Default 86400.
     */
    maxTokenLifetimeSeconds: int(0, 10 * 365 * 86_400).default(86_400),
    /**
     * The fidelity preset (docs/fidelity.md): `documented` follows the written rules (our token and
     * protocol docs, which follow Agora's documentation where it is clear); `observed` does what
     * Agora's service and SDKs were seen to do. It sets every behaviour switch below together;
     * each switch set on its own still wins. [FIDELITY] Default `documented`.
     */
    fidelity: z.enum(["documented", "observed"]).default("documented"),
    // The behaviour switches: unset = the FIDELITY preset's value (gateway/fidelity.ts, docs/fidelity.md).
    /**
     * Order of the token checks. `spec`: signature and uid binding before expiry. `legacy`: a token
     * that fails its signature, uid binding or RTM grant reports its expiry first when a time has
     * passed, as Agora's service was seen to do. [CHECK_ORDER] Unset: `spec` documented, `legacy` observed.
     */
    checkOrder: z.enum(["spec", "legacy"]).optional(),
    /**
     * 006 RTM privilege time. `enforce`: a passed privilege refuses the token. `ignore`: only the
     * 24-hour token `ts` limits a correctly signed 006 token. [PRIVILEGE_006] Unset: `enforce`
     * documented, `ignore` observed.
     */
    privilege006: z.enum(["enforce", "ignore"]).optional(),
    /**
     * Accept a 006 token with the RTC join privilege instead of the RTM one when its channel is the
     * login account (the MAC input is then an RTM token's). [ACCEPT_006_RTC_AS_RTM] Unset: false
     * documented, true observed.
     */
    accept006RtcAsRtm: bool.optional(),
    /** Refuse uids with a leading space (C++ 1.x header). [UID_REFUSE_LEADING_SPACE] Unset: false in both presets. */
    uidRefuseLeadingSpace: bool.optional(),
    /** For rtm2 sessions, apply the Web 2.3.0 uid validator (no leading `_`, no `.`). [UID_WEB2_VALIDATOR] Unset: false documented, true observed. */
    uidWeb2Validator: bool.optional(),
    /**
     * RTM 1.x: milliseconds a login must follow the connection's previous login by, else
     * `too_often` (Web 1.6.0's local check). `0` = no spacing rule. [RTM1_LOGIN_SPACING_MS]
     * Unset: 0 documented, 500 observed.
     */
    rtm1LoginSpacingMs: int(0, 10_000).optional(),
    /** Seed the in-memory store with one dev project per auth mode (fixed, public credentials). [DEV_SEED] Default true. */
    devSeed: bool.default(true),
    /**
     * Decisions kept by the journal (`GET /admin/journal`), newest first; older ones are overwritten.
     * `0` switches the journal off (nothing recorded, nothing paid; for load tests). [JOURNAL_SIZE] Default 10000.
     */
    journalSize: int(0, 1_000_000).default(10_000),
    /** pino log level. [LOG_LEVEL] Default `info`. */
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /**
     * Seconds a newly enabled certificate stays `pending` before it verifies tokens, on the simulated
     * clock (Agora: "about an hour"; docs/agora-behaviour.md, "Certificates"). `0` = active at once. A project created
     * with mechanism `token` gets an active primary at once. [CERT_ACTIVATION_DELAY_SECONDS] Default 0.
     */
    certActivationDelaySeconds: int(0, 7 * 86_400).default(0),
    /**
     * HS256 secret (at least 32 characters) that admin API bearer JWTs are signed with (audience
     * `rtm-auth-admin`). A secret: never logged. Unset (and no JWKS URL) means dev mode: the admin
     * API answers loopback peers only, and the gateway warns at start. Exclusive with
     * `adminJwksUrl`. [ADMIN_JWT_SECRET] Default unset.
     */
    adminJwtSecret: z.string().min(32, "must be at least 32 characters").optional(),
    /**
     * Longest lifetime an admin JWT may have, seconds: `exp - iat` (or `exp - now` without `iat`).
     * Longer tokens get 401. [ADMIN_JWT_MAX_LIFETIME_SECONDS] Default 86400.
     */
    adminJwtMaxLifetimeSeconds: int(60, 366 * 86_400).default(86_400),
    /** Seconds of clock skew allowed on an admin JWT's `iat`, `nbf` and `exp`. [ADMIN_JWT_CLOCK_SKEW_SECONDS] Default 30. */
    adminJwtClockSkewSeconds: int(0, 600).default(30),
    /** The `iss` every admin JWT must carry. Unset = any issuer. [ADMIN_JWT_ISSUER] Default unset. */
    adminJwtIssuer: z.string().min(1).optional(),
    /** The `aud` every admin JWT must name. [ADMIN_JWT_AUDIENCE] Default `rtm-auth-admin`. */
    adminJwtAudience: z.string().min(1).default("rtm-auth-admin"),
    /**
     * URL of a JWKS whose keys (RS256, ES256, EdDSA) sign admin API bearer JWTs (audience
     * `rtm-auth-admin`). Unset (and no secret) means dev mode, as above. Exclusive with
     * `adminJwtSecret`. [ADMIN_JWKS_URL] Default unset.
     */
    adminJwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * Redis holding the shared certificate state. One server: `redis://[user:pass@]host:port[/db]`,
     * `rediss://…` (TLS) or a unix socket path. Redis Cluster:
     * `redis+cluster://[user:pass@]host1:port1,host2:port2,…` (seed nodes; `rediss+cluster://` for
     * TLS). Sentinel: `redis+sentinel://[user:pass@]s1:26379,s2:26379,…/<masterName>[/db]`, with
     * `?sentinelPassword=…` when the Sentinels ask for one (docs/redis.md, "REDIS_URL"). Unset
     * means the embedded in-memory store (one gateway). [REDIS_URL] Default unset.
     */
    redisUrl: z
      .string()
      .superRefine((url, ctx) => {
        try {
          parseRedisUrl(url);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: err instanceof RedisUrlError ? err.problem : "is not a usable Redis URL" });
        }
      })
      .optional(),
    /** Prefix of every Redis key and channel, so several deployments can share one Redis. [REDIS_KEY_PREFIX] Default `rtm-auth:`. */
    redisKeyPrefix: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, "1–64 characters of A–Z a–z 0–9 : _ . -").default("rtm-auth:"),
    /**
     * How long, in seconds, logins keep verifying against the in-process copy while Redis is
     * unreachable; after that `/readyz` fails and logins get `store_unavailable` (fail closed).
     * [REDIS_MAX_STALENESS_SECONDS] Default 30.
     */
    redisMaxStalenessSeconds: int(1, 86_400).default(30),
    /**
     * How long, in seconds, the gateway waits at start for Redis to answer and its state to load
     * before it gives up (`rtm-auth serve` exits 2 naming REDIS_URL). A refused password or an
     * unknown host fails at once, whatever this says. [REDIS_START_TIMEOUT_SECONDS] Default 10.
     */
    redisStartTimeoutSeconds: int(1, 3_600).default(10),
  })
  .strict()
  // Contradictory options are refused (docs/configuration.md, "Validation"): one admin key source, not two.
  .superRefine((c, ctx) => {
    if (c.adminJwtSecret !== undefined && c.adminJwksUrl !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["adminJwksUrl"],
        message: "set either adminJwtSecret (ADMIN_JWT_SECRET) or adminJwksUrl (ADMIN_JWKS_URL), not both",
        params: { either: ["adminJwtSecret", "adminJwksUrl"] },
      });
    }
  });

/** The validated config; the behaviour switches always hold their effective value (preset or given). */
export type GatewayConfig = Readonly<Omit<z.infer<typeof configSchema>, keyof BehaviourSwitches> & BehaviourSwitches>;
export type GatewayConfigInput = z.input<typeof configSchema>;

/** Environment variable → config field. */
export const ENV_NAMES: Readonly<Record<keyof GatewayConfig, string>> = {
  port: "PORT",
  host: "HOST",
  maxFrameBytes: "MAX_FRAME_BYTES",
  maxTokenLength: "MAX_TOKEN_LENGTH",
  maxInflatedBytes: "MAX_INFLATED_BYTES",
  loginDeadlineSeconds: "LOGIN_DEADLINE_SECONDS",
  maxConnections: "MAX_CONNECTIONS",
  perIpConnectionsPerSecond: "PER_IP_CONNECTIONS_PER_SECOND",
  callsPerSecond: "CALLS_PER_SECOND",
  httpReserveConnections: "HTTP_RESERVE_CONNECTIONS",
  maxConnectionsPerIp: "MAX_CONNECTIONS_PER_IP",
  closeTimeoutMs: "CLOSE_TIMEOUT_MS",
  httpRequestTimeoutSeconds: "HTTP_REQUEST_TIMEOUT_SECONDS",
  maxBufferedBytes: "MAX_BUFFERED_BYTES",
  maxPendingRequests: "MAX_PENDING_REQUESTS",
  pingsPerSecond: "PINGS_PER_SECOND",
  drainSeconds: "DRAIN_SECONDS",
  rolloutTickMs: "ROLLOUT_TICK_MS",
  adminJwtMaxLifetimeSeconds: "ADMIN_JWT_MAX_LIFETIME_SECONDS",
  adminJwtClockSkewSeconds: "ADMIN_JWT_CLOCK_SKEW_SECONDS",
  adminJwtIssuer: "ADMIN_JWT_ISSUER",
  adminJwtAudience: "ADMIN_JWT_AUDIENCE",
  willExpireSeconds: "WILL_EXPIRE_SECONDS",
  maxTokenLifetimeSeconds: "MAX_TOKEN_LIFETIME_SECONDS",
  fidelity: "FIDELITY",
  checkOrder: "CHECK_ORDER",
  privilege006: "PRIVILEGE_006",
  accept006RtcAsRtm: "ACCEPT_006_RTC_AS_RTM",
  rtm1LoginSpacingMs: "RTM1_LOGIN_SPACING_MS",
  uidRefuseLeadingSpace: "UID_REFUSE_LEADING_SPACE",
  uidWeb2Validator: "UID_WEB2_VALIDATOR",
  devSeed: "DEV_SEED",
  journalSize: "JOURNAL_SIZE",
  logLevel: "LOG_LEVEL",
  certActivationDelaySeconds: "CERT_ACTIVATION_DELAY_SECONDS",
  adminJwtSecret: "ADMIN_JWT_SECRET",
  adminJwksUrl: "ADMIN_JWKS_URL",
  redisUrl: "REDIS_URL",
  redisKeyPrefix: "REDIS_KEY_PREFIX",
  redisMaxStalenessSeconds: "REDIS_MAX_STALENESS_SECONDS",
  redisStartTimeoutSeconds: "REDIS_START_TIMEOUT_SECONDS",
};

/**
 * Where each given config value came from, as the user wrote it: field → the environment variable
 * or the command-line flag that set it, e.g. `{ adminJwtSecret: "ADMIN_JWT_SECRET", port: "--port" }`.
 * Fields not listed were given by the embedding program (`startGateway({ config })`).
 */
export type ConfigSources = Readonly<Partial<Record<keyof GatewayConfig, string>>>;

/**
 * Validates `input` and returns a frozen config. Each behaviour switch left unset takes the value
 * of the FIDELITY preset. A bad input is a TypeError, `invalid gateway configuration: …`, with one
 * `NAME: problem` per problem, joined by `; `. NAME is what the user set: its entry in `sources`
 * (`ADMIN_JWT_SECRET: must be at least 32 characters`, `--port: must be a whole number from 0 to
 * 65535`); for a field without one, the field and its environment variable (`port: … [PORT]`).
 * The message never repeats a value (a secret may be one).
 */
export function loadConfig(input: GatewayConfigInput = {}, sources: ConfigSources = {}): GatewayConfig {
  const r = configSchema.safeParse(input);
  if (!r.success) {
    const env = ENV_NAMES as Readonly<Record<string, string>>;
    const from = sources as Readonly<Record<string, string>>;
    const problems = r.error.issues
      .map((i) => {
        const field = String(i.path[0] ?? "");
        const source = from[field];
        const either = i.code === "custom" ? (i.params as { either?: readonly string[] } | undefined)?.either : undefined;
        if (either !== undefined && either.some((f) => from[f] !== undefined)) {
          // Contradictory settings: named as the user set them.
          return `${source ?? field}: set either ${either.map((f) => from[f] ?? env[f] ?? f).join(" or ")}, not both`;
        }
        if (source !== undefined) return `${[source, ...i.path.slice(1).map(String)].join(".")}: ${i.message}`;
        const name = env[field];
        return `${i.path.join(".") || "(root)"}: ${i.message}${name === undefined ? "" : ` [${name}]`}`;
      })
      .join("; ");
    throw new TypeError(`invalid gateway configuration: ${problems}`);
  }
  const switches = resolveSwitches(r.data.fidelity, r.data);
  return Object.freeze({ ...r.data, ...switches });
}

/** The config fields found in an environment (unset variables are left to their defaults). */
export function configFromEnv(env: NodeJS.ProcessEnv): GatewayConfigInput {
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(ENV_NAMES)) {
    const v = env[name];
    if (v !== undefined && v !== "") out[field] = v;
  }
  return out as GatewayConfigInput;
}

/** The sources of {@link configFromEnv}'s fields: each set field → its environment variable. */
export function envSources(env: NodeJS.ProcessEnv): Partial<Record<keyof GatewayConfig, string>> {
  const out: Partial<Record<keyof GatewayConfig, string>> = {};
  for (const [field, name] of Object.entries(ENV_NAMES) as Array<[keyof GatewayConfig, string]>) {
    const v = env[name];
    if (v !== undefined && v !== "") out[field] = name;
  }
  return out;
}
