/**
 * `rtm-auth serve`: the gateway on the embedded default (in-memory store, dev seed; or the Redis
 * store when REDIS_URL is set), printing
 * the dev credentials, a ready-to-use token and a one-line way to try a login.
 */
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildRtmToken } from "../../core/token/index.js";
import { PopulateBody, populateProjects } from "../admin/populate.js";
import { configFromEnv, ENV_NAMES } from "../config.js";
import { DEV_PROJECTS } from "../dev-seed.js";
import { startGateway } from "../main.js";
import { AuthError } from "../../core/errors.js";
import { RedisStartFailure } from "../infra/redis-clients.js";
import { EXIT, type CliIo } from "./cli-io.js";

/** The environment variables of every setting, wrapped for --help (from gateway/config.ts, so none is missed). */
function envList(): string {
  const lines: string[] = [];
  let line = "";
  for (const name of Object.values(ENV_NAMES)) {
    const next = line === "" ? `  ${name}` : `${line}, ${name}`;
    if (next.length > 100) {
      lines.push(`${line},`);
      line = `  ${name}`;
    } else line = next;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

const HELP = `Usage: rtm-auth serve [--port N] [--host ADDR] [--no-dev-seed] [--populate FILE]

Starts the gateway: WebSocket endpoint /rtm, GET /healthz, /readyz, /metrics, the admin API under /admin.
Certificates live in memory unless REDIS_URL is set (then in Redis, shared by every gateway on the same
REDIS_KEY_PREFIX). Every setting also reads its environment variable (defaults and ranges in
gateway/config.ts; the abuse bounds in docs/robustness.md); flags win over the environment:
${envList()}
SIGTERM or SIGINT drains (docs/robustness.md) and exits 0; a second signal exits at once.

Options:
  --port N         TCP port (default 8080; 0 picks a free one)
  --host ADDR      listen address (default 127.0.0.1)
  --no-dev-seed    start with no projects
  --populate FILE  set up the projects of FILE at start, as POST /admin/populate does
                   ({"projects": [{"appId", "mode": "appid"|"either"|"token", "primary"?, "secondary"?}]})
  --json           print the startup summary as one JSON line
  -h, --help       this text
`;

/** Seconds past DRAIN_SECONDS after which a stuck drain exits anyway. */
const DRAIN_BACKSTOP_SECONDS = 5;

export async function runServeCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
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
    io.err(`rtm-auth serve: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  const input = { ...configFromEnv(process.env) } as Record<string, unknown>;
  if (v.port !== undefined) input["port"] = v.port;
  if (v.host !== undefined) input["host"] = v.host;
  if (v["no-dev-seed"]) input["devSeed"] = false;

  // The populate file is read and checked before anything listens: a bad file is a usage error.
  let world: ReturnType<typeof PopulateBody.parse> | undefined;
  if (v.populate !== undefined) {
    try {
      world = PopulateBody.parse(JSON.parse(readFileSync(v.populate, "utf8")));
    } catch (err) {
      const e = err as Error & { issues?: Array<{ path: PropertyKey[]; message: string }> };
      const detail = e.issues?.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ") ?? e.message;
      io.err(`rtm-auth serve: --populate ${v.populate}: ${detail}\n`);
      return EXIT.usage;
    }
  }

  let gateway;
  try {
    gateway = await startGateway({ config: input });
  } catch (err) {
    io.err(`rtm-auth serve: ${startFailure(err, input)}\n`);
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

  // SIGTERM/SIGINT: the graceful drain (docs/robustness.md), then exit 0. A second signal, or a
  // drain that overruns DRAIN_SECONDS by more than the backstop, exits at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      gateway.logger.warn({ signal }, "second signal: exiting without waiting for the drain");
      process.exit(1);
    }
    stopping = true;
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
  return EXIT.running;
}

/**
 * A start-up failure in words a user can act on. A Redis URL is shown without its credentials
 * (user, password, query); a refused password and an unknown host are named as such
 * (RedisStartFailure, gateway/infra/redis-clients.ts), and come at once, not after the start
 * timeout.
 */
function startFailure(err: unknown, input: Record<string, unknown>): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "EADDRINUSE") return `port ${String(input["port"] ?? 8080)} is in use (set --port or PORT)`;
  if (err instanceof AuthError && err.reason === "store_unavailable") {
    const where = redisWhere(String(input["redisUrl"] ?? ""));
    const detail = (err.detail ?? "").replace(/\.$/, "");
    if (err instanceof RedisStartFailure && err.kind === "auth") {
      if (/^NOAUTH\b/.test(detail)) return `Redis at ${where} requires a password and none was given (${detail}); check REDIS_URL`;
      return `Redis at ${where} refused the credentials (${detail}); check REDIS_URL`;
    }
    if (err instanceof RedisStartFailure && err.kind === "dns") {
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
