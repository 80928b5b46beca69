/**
 * `rtm-auth serve`: the gateway on the embedded default (in-memory store, dev seed; or the Redis
 * store when REDIS_URL is set), printing
 * the dev credentials, a ready-to-use token and a one-line way to try a login.
 *
 * Output: the human banner (or, with `--json`, one JSON summary line, the first line on stdout) goes
 * to stdout; the log lines (pino JSON) go to stderr. A port already in use is found before anything
 * else starts (no Redis connection, no seeding): exit 2 at once, naming the port and `--port`/`PORT`.
 */
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { buildRtmToken } from "../../core/token/index.js";
import { PopulateBody, populateProjects } from "../admin/populate.js";
import { formatSettings } from "../config-reference.js";
import { configFromEnv, envSources, loadConfig, type ConfigSources, type GatewayConfig } from "../config.js";
import { DEV_PROJECTS } from "../dev-seed.js";
import { createLogger } from "../logger.js";
import { AuthError } from "../../core/errors.js";
import type { RedisStartFailure } from "../infra/redis-clients.js";
import { EXIT, parseArgsMessage, parseCliArgs, usageError, type CliIo } from "./cli-io.js";

const HELP = `Usage: rtm-auth serve [--port N] [--host ADDR] [--no-dev-seed] [--populate FILE]

Starts the gateway: WebSocket endpoint /rtm, GET /healthz, /readyz, /metrics, the admin API under /admin.
Certificates live in memory unless REDIS_URL is set (then in Redis, shared by every gateway on the same
REDIS_KEY_PREFIX). Every setting reads its environment variable; flags win over the environment.
The settings, their defaults and what they mean (generated from gateway/config.ts, where each has its
range; the abuse bounds in docs/robustness.md):
${formatSettings()}
SIGTERM or SIGINT drains (docs/robustness.md) and exits 0; a second signal exits at once.

Options:
  --port N         TCP port (default 8080; 0 picks a free one)
  --host ADDR      listen address (default 127.0.0.1)
  --no-dev-seed    start with no projects (DEV_SEED=0 does the same; through npm: npm start -- --no-dev-seed)
  --populate FILE  set up the projects of FILE at start, as POST /admin/populate does
                   ({"projects": [{"appId", "mode": "appid"|"either"|"token", "primary"?, "secondary"?}]})
  --json           print the startup summary as one JSON line (stdout's first line; logs go to stderr)
  -h, --help       this text
`;

/** Seconds past DRAIN_SECONDS after which a stuck drain exits anyway. */
const DRAIN_BACKSTOP_SECONDS = 5;
/**
 * A repeat of the first stop signal this soon after it, ms, is the same signal delivered twice
 * (the terminal and npm both send Ctrl-C's SIGINT), not a second one that skips the drain.
 */
const SAME_SIGNAL_MS = 1_000;

export async function runServeCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "no-dev-seed": { type: "boolean" },
        populate: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    return usageError(io, "serve", parseArgsMessage(err));
  }
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  const input = { ...configFromEnv(process.env) } as Record<string, unknown>;
  if (v.port !== undefined) input["port"] = v.port;
  if (v.host !== undefined) input["host"] = v.host;
  // A bad setting is named as the user set it: the flag, else the environment variable.
  const sources: ConfigSources = { ...envSources(process.env), ...(v.port === undefined ? {} : { port: "--port" }), ...(v.host === undefined ? {} : { host: "--host" }) };
  // `npm start --no-dev-seed` (without `--`) reaches us only as npm's own setting, npm_config_dev_seed
  // "" (or "false" for --dev-seed=false); honoured, so the public credentials are never loaded by mistake.
  const npmDevSeed = process.env["npm_config_dev_seed"];
  if (v["no-dev-seed"] || npmDevSeed === "" || npmDevSeed === "false") input["devSeed"] = false;

  // The populate file is read and checked before anything listens: a bad file is a usage error.
  let world: ReturnType<typeof PopulateBody.parse> | undefined;
  if (v.populate !== undefined) {
    try {
      world = PopulateBody.parse(JSON.parse(readFileSync(v.populate, "utf8")));
    } catch (err) {
      const e = err as Error & { issues?: Array<{ path: PropertyKey[]; message: string }> };
      const detail = e.issues?.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ") ?? e.message;
      return usageError(io, "serve", `--populate ${v.populate}: ${detail}`);
    }
  }

  let config: GatewayConfig;
  try {
    config = loadConfig(input, sources);
  } catch (err) {
    return usageError(io, "serve", (err as Error).message);
  }
  let gateway;
  try {
    // Before Redis, the dev seed or anything else: a port in use is the commonest start failure.
    await portFree(config.port, config.host);
    // Log lines go to stderr (through io), so stdout holds only the banner or the --json line.
    const toStderr = new Writable({
      write(chunk: Buffer, _encoding, done) {
        io.err(chunk.toString("utf8"));
        done();
      },
    });
    const logger = createLogger(config.logLevel, toStderr);
    // The gateway (express, ioredis, prom-client, …) loads only once the arguments passed: a usage
    // error or --help answers without it.
    const { startGateway } = await import("../main.js");
    gateway = await startGateway({ config: input, logger });
  } catch (err) {
    const { RedisStartFailure: StartFailure } = await import("../infra/redis-clients.js");
    io.err(`rtm-auth serve: ${startFailure(err, config, StartFailure)}\n`);
    // A gateway that failed half way (its Redis connected, then the port taken since the check)
    // may still hold handles; the command is over, so the process ends without waiting for them.
    setTimeout(() => process.exit(EXIT.usage), 100).unref();
    return EXIT.usage;
  }

  const now = gateway.clock.nowSeconds();
  let populated: unknown[] | undefined;
  if (world !== undefined) {
    try {
      const r = await populateProjects(gateway.store, world, { now, rollouts: gateway.rollouts });
      gateway.logger.info({ created: r.created, updated: r.updated, unchanged: r.unchanged }, "projects populated");
      populated = [...r.projects];
    } catch (err) {
      io.err(`rtm-auth serve: --populate: ${(err as Error).message}\n`);
      await gateway.close();
      return EXIT.usage;
    }
  }
  // SIGTERM/SIGINT, installed before anything is printed (a caller may signal as soon as it reads
  // the banner): the graceful drain (docs/robustness.md), then exit 0. A second signal, or a
  // drain that overruns DRAIN_SECONDS by more than the backstop, exits at once. A repeat of the
  // first signal within SAME_SIGNAL_MS is the same one delivered twice, not a second: Ctrl-C on
  // `npm start` reaches the gateway from the terminal and again from npm, which forwards it.
  let stopping: { signal: string; at: number } | null = null;
  const stop = (signal: string) => {
    if (stopping !== null) {
      if (signal === stopping.signal && performance.now() - stopping.at < SAME_SIGNAL_MS) return;
      gateway.logger.warn({ signal }, "second signal: exiting without waiting for the drain");
      process.exit(1);
    }
    stopping = { signal, at: performance.now() };
    gateway.logger.info({ signal, drainSeconds: gateway.config.drainSeconds }, "shutting down: draining");
    setTimeout(() => process.exit(0), (gateway.config.drainSeconds + DRAIN_BACKSTOP_SECONDS) * 1000).unref();
    void gateway.close().then(
      () => {
        gateway.logger.info({ signal }, "stopped");
        process.exit(0);
      },
      (err: unknown) => {
        gateway.logger.error({ err }, "error while draining");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  const tokenProject = DEV_PROJECTS.find((p) => p.mode === "token");
  const sample =
    gateway.config.devSeed && tokenProject?.certificate
      ? buildRtmToken({ version: "007", appId: tokenProject.appId, certificate: tokenProject.certificate, uid: "alice", expireSeconds: 3600, issueTs: now, salt: randomInt(1, 100_000_000) })
      : null;

  if (gateway.config.devSeed) {
    gateway.logger.warn({ projects: DEV_PROJECTS.map((p) => p.appId) }, "DEV SEED ACTIVE: projects with public, fixed certificates are loaded; use --no-dev-seed outside local testing");
  }
  if (v.json) {
    io.out(`${JSON.stringify({ url: gateway.url, http: gateway.httpUrl, devSeed: gateway.config.devSeed, projects: gateway.config.devSeed ? DEV_PROJECTS : [], sampleToken: sample, ...(populated === undefined ? {} : { populated }) })}\n`);
  } else {
    const lines = [`rtm-auth-gateway listening: ${gateway.url}  (health: ${gateway.httpUrl}/healthz)`];
    if (gateway.config.devSeed && tokenProject !== undefined && sample !== null) {
      lines.push(
        "",
        "!!! DEV CREDENTIALS — public, fixed, for local testing only. Start with --no-dev-seed (DEV_SEED=0) anywhere else. !!!",
        "",
        "  mode    App ID                            certificate",
        ...DEV_PROJECTS.map((p) => `  ${p.mode.padEnd(7)} ${p.appId}  ${p.certificate ?? "(none: App ID login only)"}`),
        "",
        `Sample 007 token for uid "alice" on the token project (valid 1 h):`,
        `  ${sample}`,
        "",
        "Try a login:",
        `  npx rtm-auth login --url ${gateway.url} --app-id ${tokenProject.appId} --uid alice --token ${sample}`,
      );
    }
    io.out(`${lines.join("\n")}\n`);
  }

  return EXIT.running;
}

/**
 * Resolves when `port` (not 0) can be listened on at `host`; rejects with the listen error
 * (EADDRINUSE, EACCES, EADDRNOTAVAIL) otherwise. The probe listens and closes at once.
 */
async function portFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * A start-up failure in words a user can act on (`config` is absent when the configuration
 * itself was refused). A port in use names the port, the address and how to choose another; a
 * Redis URL is shown without its credentials (user, password, query); a refused password and an
 * unknown host are named as such (RedisStartFailure, gateway/infra/redis-clients.ts), and come at
 * once, not after the start timeout.
 */
function startFailure(err: unknown, config: GatewayConfig | undefined, RedisStartFailureClass: typeof RedisStartFailure): string {
  const e = err as NodeJS.ErrnoException;
  const port = config?.port ?? 8080;
  const host = config?.host ?? "127.0.0.1";
  if (e.code === "EADDRINUSE") {
    return `port ${port} on ${host} is already in use (another gateway still running?); stop it, or choose another port with --port N or PORT=N (npm start -- --port ${port + 1})`;
  }
  if (e.code === "EACCES") return `port ${port} on ${host} needs privileges this process lacks; choose a port above 1023 with --port N or PORT=N`;
  if (e.code === "EADDRNOTAVAIL") return `${host} is not an address of this machine; choose another with --host ADDR or HOST=ADDR`;
  if (err instanceof AuthError && err.reason === "store_unavailable") {
    const where = redisWhere(config?.redisUrl ?? "");
    const detail = (err.detail ?? "").replace(/\.$/, "");
    if (err instanceof RedisStartFailureClass && err.kind === "auth") {
      if (/^NOAUTH\b/.test(detail)) return `Redis at ${where} requires a password and none was given (${detail}); check REDIS_URL`;
      return `Redis at ${where} refused the credentials (${detail}); check REDIS_URL`;
    }
    if (err instanceof RedisStartFailureClass && err.kind === "mismatch") return `Redis at ${where} (REDIS_URL): ${detail}`;
    if (err instanceof RedisStartFailureClass && err.kind === "dns") {
      return `the Redis host ${err.hostname ?? where} could not be resolved (${detail}); check REDIS_URL`;
    }
    return `cannot load the certificate state from Redis at ${where} (REDIS_URL)${detail === "" ? "" : `: ${detail}`}`;
  }
  return e.message;
}

/** `redis[s]://host:port/db` of a REDIS_URL, never its user, password or query; a socket path as is. */
function redisWhere(url: string): string {
  if (url.startsWith("/")) return url;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//").replace(/\?.*$/, "");
  }
}
