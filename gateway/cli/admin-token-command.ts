/**
 * `rtm-auth admin-token`: mints a bearer JWT for an admin API that requires one (docs/admin-api-security.md,
 * "JWT mode"): HS256, signed with `ADMIN_JWT_SECRET` from the environment, the same variable the
 * gateway reads. Its claims are the ones the gateway checks: `aud` = `ADMIN_JWT_AUDIENCE` (default
 * `rtm-auth-admin`), `iss` = `ADMIN_JWT_ISSUER` when that is set, `iat` = now, `exp` = now +
 * `--ttl` (at most `ADMIN_JWT_MAX_LIFETIME_SECONDS`), `sub` = `--subject`. The settings are
 * validated by the gateway's own schema, so a secret the gateway would refuse is refused here
 * with the same message. The secret is never a flag (flags end up in shell history and `ps`) and
 * is never printed.
 */
import { SignJWT } from "jose";
import { ENV_NAMES, envSources, loadConfig, type GatewayConfig, type GatewayConfigInput } from "../config.js";
import { EXIT, parseArgsMessage, parseCliArgs, usageError, type CliIo } from "./cli-io.js";

/** The settings `admin-token` reads from the environment (all else is the gateway's business). */
const READS = ["adminJwtSecret", "adminJwksUrl", "adminJwtAudience", "adminJwtIssuer", "adminJwtMaxLifetimeSeconds"] as const satisfies ReadonlyArray<keyof GatewayConfig>;

/** Default lifetime, seconds. */
const DEFAULT_TTL_SECONDS = 3600;

export const ADMIN_TOKEN_HELP = `Usage: rtm-auth admin-token [--ttl 1h] [--subject S] [--json]

Prints a bearer JWT for the admin API of a gateway started with ADMIN_JWT_SECRET: HS256, signed with
ADMIN_JWT_SECRET from this environment (the same value the gateway has), with the claims the gateway
checks (docs/admin-api-security.md):
  aud  ADMIN_JWT_AUDIENCE (default rtm-auth-admin)     iss  ADMIN_JWT_ISSUER, when set
  iat  now                                            exp  now + --ttl
  sub  --subject

Options:
  --ttl D        lifetime: 90s, 30m, 1h, 1d or a number of seconds (default 1h); at most
                 ADMIN_JWT_MAX_LIFETIME_SECONDS (default 86400), the longest the gateway accepts
  --subject S    the sub claim (default rtm-auth-cli)
  --json         print {"token","expiresAt","audience","issuer"} instead of the bare token
  -h, --help     this text

The secret comes from the environment only, never from a flag. Example (docker compose: README):
  curl -s http://127.0.0.1:8080/admin/projects -H "authorization: Bearer $(npx rtm-auth admin-token)"

Exit: 0 printed, 2 usage error (ADMIN_JWT_SECRET unset or shorter than 32 characters, a bad --ttl).
`;

/** Seconds for `90s`, `30m`, `1h`, `1d` or `3600`; null when `text` is none of those. */
export function ttlSeconds(text: string): number | null {
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(text);
  if (m === null) return null;
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * `rtm-auth admin-token`. `env` is the environment the settings are read from; `nowSeconds` the
 * real time in Unix seconds (the gateway judges admin JWTs by real time, never the simulated clock).
 */
export async function runAdminTokenCommand(
  args: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
): Promise<number> {
  let values;
  try {
    values = parseCliArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ttl: { type: "string" },
        subject: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    return usageError(io, "admin-token", parseArgsMessage(err));
  }
  if (values.help) {
    io.out(ADMIN_TOKEN_HELP);
    return EXIT.ok;
  }

  // Only the admin settings, validated as the gateway validates them, named as the user set them.
  const input: Record<string, string> = {};
  const sources = envSources(env);
  const picked: Partial<Record<keyof GatewayConfig, string>> = {};
  for (const field of READS) {
    const v = env[ENV_NAMES[field]];
    if (v !== undefined && v !== "") {
      input[field] = v;
      if (sources[field] !== undefined) picked[field] = sources[field];
    }
  }
  let config: GatewayConfig;
  try {
    config = loadConfig(input as GatewayConfigInput, picked);
  } catch (err) {
    return usageError(io, "admin-token", (err as Error).message);
  }
  if (config.adminJwtSecret === undefined) {
    const jwks = config.adminJwksUrl === undefined ? "" : " (ADMIN_JWKS_URL is set: tokens for that gateway come from the JWKS's issuer, not from here)";
    return usageError(io, "admin-token", `ADMIN_JWT_SECRET is not set: export the gateway's secret (at least 32 characters) before running this${jwks}`);
  }

  const ttl = values.ttl === undefined ? DEFAULT_TTL_SECONDS : ttlSeconds(values.ttl);
  if (ttl === null || ttl < 1) return usageError(io, "admin-token", `--ttl ${JSON.stringify(values.ttl)} is not a lifetime (e.g. 90s, 30m, 1h, 1d, or seconds)`);
  if (ttl > config.adminJwtMaxLifetimeSeconds) {
    return usageError(io, "admin-token", `--ttl ${values.ttl} is ${ttl} s, over ADMIN_JWT_MAX_LIFETIME_SECONDS (${config.adminJwtMaxLifetimeSeconds} s): the gateway would refuse the token`);
  }
  const subject = values.subject ?? "rtm-auth-cli";
  if (subject === "") return usageError(io, "admin-token", "--subject must not be empty");

  const now = nowSeconds();
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(subject).setAudience(config.adminJwtAudience).setIssuedAt(now).setExpirationTime(now + ttl);
  if (config.adminJwtIssuer !== undefined) jwt.setIssuer(config.adminJwtIssuer);
  const token = await jwt.sign(new TextEncoder().encode(config.adminJwtSecret));
  io.out(values.json ? `${JSON.stringify({ token, expiresAt: now + ttl, audience: config.adminJwtAudience, issuer: config.adminJwtIssuer ?? null })}\n` : `${token}\n`);
  return EXIT.ok;
}
