/** `rtm-auth token build`: an RTM login token, built as Agora's RTM token builders do. */
import type { TokenVersion } from "../../core/token/index.js";
import { EXIT, type CliIo } from "./cli-io.js";
import { hex32, integer, parseStrict, requiredString, TokenUsageError, U32_MAX, type TokenCommandEnv } from "./token-args.js";

/**
 * 006 tokens expire this long after issue (core's TOKEN_006_LIFETIME_SECONDS, token-formats.md
 * §2.7). Repeated here so that help and usage errors need not load the token core.
 */
const TOKEN_006_LIFETIME_SECONDS = 86_400;

export const BUILD_USAGE = `Usage: rtm-auth token build --version 006|007 --app-id APP_ID --certificate CERT --uid UID
                          --expire SECONDS [--issue-ts T] [--salt S] [--json]

Builds an RTM login token as Agora's RTM token builders do and prints it alone on stdout.

Options:
  --version 006|007    token format
  --app-id APP_ID      the App ID, 32 hexadecimal characters
  --certificate CERT   the App Certificate, 32 hexadecimal characters (never printed)
  --uid UID            the RTM user id the token is for
  --expire SECONDS     lifetime from the issue time, 0..4294967295.
                         007: token expiry and login privilege (0 = expired at issue).
                         006: login privilege (0 = no privilege limit); the token itself
                         always expires ${TOKEN_006_LIFETIME_SECONDS} s after issue.
  --issue-ts T         issue time, Unix seconds (default: now)
  --salt S             salt, 0..4294967295 (default: random, 007 1..99999999, 006 0..4294967294)
  --json               print {token, version, appId, uid, issueTs, salt, expiresAt}
  -h, --help           show this help

Exit status: 0 built, 2 usage error.
`;

const OPTIONS = {
  version: { type: "string" },
  "app-id": { type: "string" },
  certificate: { type: "string" },
  uid: { type: "string" },
  expire: { type: "string" },
  "issue-ts": { type: "string" },
  salt: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The last second the token is valid: the earlier of the token and the login-privilege expiry. */
function expiresAt(version: TokenVersion, issueTs: number, expire: number): number {
  if (version === "007") return issueTs + expire;
  const tokenExpiry = issueTs + TOKEN_006_LIFETIME_SECONDS;
  return expire === 0 ? tokenExpiry : Math.min(tokenExpiry, issueTs + expire);
}

export async function runTokenBuild(args: string[], io: CliIo, env: TokenCommandEnv): Promise<number> {
  const { values } = parseStrict(args, OPTIONS, false);
  const versionText = requiredString(values, "version");
  if (versionText !== "006" && versionText !== "007") throw new TokenUsageError(`--version must be 006 or 007, got '${versionText}'`);
  const version: TokenVersion = versionText;
  const appId = hex32("app-id", requiredString(values, "app-id"));
  const certificate = hex32("certificate", requiredString(values, "certificate"));
  const uid = requiredString(values, "uid");
  const expire = integer("expire", requiredString(values, "expire"), 0, U32_MAX);
  const issueTsText = values["issue-ts"];
  const issueTs = typeof issueTsText === "string" ? integer("issue-ts", issueTsText, 0, U32_MAX) : env.nowSeconds();
  const saltText = values["salt"];
  const salt =
    typeof saltText === "string"
      ? integer("salt", saltText, 0, U32_MAX)
      : version === "007"
        ? await env.randomInt(1, 100_000_000) // agora-token's Node builder: 1..99999999
        : await env.randomInt(0, U32_MAX); // agora-access-token: floor(random * 0xFFFFFFFF)

  const warnings: string[] = [];
  if (version === "006") {
    // 006 times are absolute u32 fields: issue + 24 h, and issue + expire for the privilege.
    if (issueTs + TOKEN_006_LIFETIME_SECONDS > U32_MAX) {
      throw new TokenUsageError(`--issue-ts must be at most ${U32_MAX - TOKEN_006_LIFETIME_SECONDS} for 006 (the token expires ${TOKEN_006_LIFETIME_SECONDS} s after issue)`);
    }
    if (expire !== 0 && issueTs + expire > U32_MAX) {
      throw new TokenUsageError(`--expire too large for 006: --issue-ts + --expire must be at most ${U32_MAX}`);
    }
    if (expire > TOKEN_006_LIFETIME_SECONDS) {
      warnings.push(`--expire ${expire} exceeds ${TOKEN_006_LIFETIME_SECONDS}: a 006 token expires ${TOKEN_006_LIFETIME_SECONDS} s after issue anyway`);
    }
  } else {
    if (expire === 0) warnings.push("--expire 0 gives a 007 token that has expired one second after its issue time");
    const uidBytes = Buffer.byteLength(uid, "utf8");
    if (uidBytes > 0xffff) throw new TokenUsageError(`--uid is ${uidBytes} bytes in UTF-8; a 007 token holds at most 65535`);
    if (uid === "") warnings.push("an empty --uid matches no login in a 007 token (uid_mismatch)");
  }

  // Loaded only now: help and usage errors never need the token core (nor its crypto).
  const { buildRtmToken, DEFAULT_TOKEN_LIMITS, TOKEN_006_LIFETIME_SECONDS: lifetime } = await import("../../core/token/index.js");
  if (lifetime !== TOKEN_006_LIFETIME_SECONDS) throw new Error("token core and CLI disagree on the 006 token lifetime");
  let token: string;
  try {
    token = buildRtmToken({ version, appId, certificate, uid, expireSeconds: expire, issueTs, salt });
  } catch (err) {
    // The core's argument checks (e.g. a uid over 65535 bytes); they never quote the certificate.
    throw new TokenUsageError(err instanceof Error ? err.message : String(err));
  }
  if (token.length > DEFAULT_TOKEN_LIMITS.maxTokenLength) {
    warnings.push(`the token is ${token.length} characters, over the ${DEFAULT_TOKEN_LIMITS.maxTokenLength} a verifier accepts (it will be malformed)`);
  }

  for (const w of warnings) io.err(`rtm-auth token build: warning: ${w}\n`);
  if (values["json"] === true) {
    io.out(`${JSON.stringify({ token, version, appId, uid, issueTs, salt, expiresAt: expiresAt(version, issueTs, expire) })}\n`);
  } else {
    io.out(`${token}\n`);
  }
  return EXIT.ok;
}
