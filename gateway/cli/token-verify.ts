/** `rtm-auth token verify`: the token checks of docs/tokens.md, "The checks, in order", for one RTM login. */
import type { VerifyRequest } from "../../core/token/index.js";
import { FIDELITY_PRESETS, PRESETS, type Fidelity } from "../fidelity.js";
import { EXIT, type CliIo } from "./cli-io.js";
import { hex32, integer, isoTime, parseStrict, requiredString, tokenArgument, TokenUsageError, type TokenCommandEnv } from "./token-args.js";

export const VERIFY_USAGE = `Usage: rtm-auth token verify --app-id APP_ID --certificate CERT [--certificate CERT2] --uid UID
                           [--now T] [--max-lifetime N] [--fidelity F] [--known-app-id A]...
                           [--pending-certificate C]... [--deleted-certificate C]... [--json] TOKEN

Verifies TOKEN for an RTM login of UID to APP_ID, with the checks and reasons of the gateway.
TOKEN may be - to read the token from stdin (surrounding whitespace is trimmed; an empty
stdin is a usage error, exit 2).

Options:
  --app-id APP_ID      the App ID the gateway is configured with, 32 hexadecimal characters
  --certificate CERT   an active App Certificate, 32 hexadecimal characters (never printed);
                       give it twice for a rotation: the first is the primary, the second
                       the secondary
  --uid UID            the user id presented at login
  --now T              the verifier's clock, Unix seconds (default: now)
  --max-lifetime N     the lifetime cap, seconds: the token's expiry is at most its issue time
                       plus N, as the gateway's MAX_TOKEN_LIFETIME_SECONDS (default 86400, the
                       24 h Agora documents; 0 = no cap)
  --fidelity F         documented (default) or observed: the token switches of the gateway's
                       FIDELITY preset (docs/fidelity.md): the check order, the 006 privilege
                       time, and a 006 RTC token for channel = UID counting as RTM
  --known-app-id A     the App ID of another project of yours (repeatable), for the hint
                       other_project_token
  --pending-certificate C
                       a certificate enabled but not yet active (repeatable; never printed),
                       for the hint certificate_not_active_yet
  --deleted-certificate C
                       a certificate you deleted (repeatable; never printed), for the hint
                       deleted_certificate
  --json               print {"valid": true|false, "reason": "<reason>", ...}; a valid token
                       adds version, expiresAt and slot (the certificate that matched); "hints"
                       is there when there is at least one
  -h, --help           show this help

Prints "valid (<version>, expires <ISO time>)" or "invalid: <reason>", where the reason is one of
malformed, unsupported_version, app_id_mismatch, invalid_signature, not_rtm_token,
uid_mismatch, token_expired, privilege_expired; then one line "hint <code>: <sentence>" for each
diagnostic hint (docs/hints.md). Hints never change the answer or the exit status.

Exit status: 0 valid, 1 invalid, 2 usage error.
`;

const OPTIONS = {
  "app-id": { type: "string" },
  certificate: { type: "string", multiple: true },
  uid: { type: "string" },
  now: { type: "string" },
  "max-lifetime": { type: "string" },
  fidelity: { type: "string" },
  "known-app-id": { type: "string", multiple: true },
  "pending-certificate": { type: "string", multiple: true },
  "deleted-certificate": { type: "string", multiple: true },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type ActiveCertificate = VerifyRequest["certificates"][number];

function certificates(values: Record<string, unknown>): ActiveCertificate[] {
  const given = values["certificate"];
  const list = Array.isArray(given) ? given.filter((c): c is string => typeof c === "string") : [];
  if (list.length === 0) throw new TokenUsageError("missing required option --certificate");
  if (list.length > 2) throw new TokenUsageError(`--certificate given ${list.length} times; at most two (primary, then secondary)`);
  return list.map((c, i) => ({ slot: i === 0 ? "primary" : "secondary", value: hex32("certificate", c) }));
}

/** The values of a repeatable 32-hex option (none: empty). */
function hexList(values: Record<string, unknown>, name: string): string[] {
  const given = values[name];
  const list = Array.isArray(given) ? given.filter((c): c is string => typeof c === "string") : [];
  return list.map((v) => hex32(name, v));
}

/** The default lifetime cap: the gateway's default MAX_TOKEN_LIFETIME_SECONDS (Agora's 24 h). */
const DEFAULT_MAX_LIFETIME_SECONDS = 86_400;

export async function runTokenVerify(args: string[], io: CliIo, env: TokenCommandEnv): Promise<number> {
  const { values, positionals } = parseStrict(args, OPTIONS, true);
  const appId = hex32("app-id", requiredString(values, "app-id"));
  const certs = certificates(values);
  const uid = requiredString(values, "uid");
  const nowText = values["now"];
  const now = typeof nowText === "string" ? integer("now", nowText, 0, Number.MAX_SAFE_INTEGER) : env.nowSeconds();
  const capText = values["max-lifetime"];
  const maxLifetimeSeconds = typeof capText === "string" ? integer("max-lifetime", capText, 0, 0xffffffff) : DEFAULT_MAX_LIFETIME_SECONDS;
  const fidelityText = values["fidelity"] ?? "documented";
  if (!(FIDELITY_PRESETS as readonly unknown[]).includes(fidelityText)) throw new TokenUsageError(`--fidelity must be one of ${FIDELITY_PRESETS.join(", ")}`);
  const switches = PRESETS[fidelityText as Fidelity];
  const facts = {
    knownAppIds: hexList(values, "known-app-id"),
    pendingCertificates: hexList(values, "pending-certificate"),
    deletedCertificates: hexList(values, "deleted-certificate"),
  };
  const token = await tokenArgument(positionals, () => env.readStdin());
  const json = values["json"] === true;

  const { checkToken } = await import("../../policies/token-check.js");
  const { listedHintFacts, tokenHints } = await import("../../core/diagnostics/index.js");
  const r = checkToken({ token, appId, uid, certificates: certs, now, maxLifetimeSeconds }, switches);
  // After the answer, never part of it (docs/hints.md).
  const hints = tokenHints({ token, parsed: r.parsed, appId, uid, reason: r.valid ? "ok" : r.reason, now, maxLifetimeSeconds }, listedHintFacts(facts));
  const withHints = hints.length === 0 ? {} : { hints };
  const hintLines = hints.map((h) => `hint ${h.code}: ${h.message}\n`).join("");
  if (r.valid) {
    const { version, expiresAt } = r.token;
    io.out(json ? `${JSON.stringify({ valid: true, reason: "ok", version, expiresAt, slot: r.slot, ...withHints })}\n` : `valid (${version}, expires ${isoTime(expiresAt)})\n${hintLines}`);
    return EXIT.ok;
  }
  // The private detail stays out, as on the wire: the reason (and the hints) are the whole answer.
  io.out(json ? `${JSON.stringify({ valid: false, reason: r.reason, ...withHints })}\n` : `invalid: ${r.reason}\n${hintLines}`);
  return EXIT.negative;
}
