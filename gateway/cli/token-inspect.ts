/** `rtm-auth token inspect`: every decoded field of a token, without verifying it. */
import type { describeToken } from "../../core/token/index.js";
import { EXIT, type CliIo } from "./cli-io.js";
import { isoTime, parseStrict, tokenArgument, type TokenCommandEnv } from "./token-args.js";

export const INSPECT_USAGE = `Usage: rtm-auth token inspect [--json] TOKEN

Decodes a 006 or 007 token and prints every field, without verifying it: no certificate
is needed, and nothing printed is authenticated. The signature is shown only as its length.
Every 007 service type (1..10) is decoded; an RTM2 service shows its permissions, with Agora's
names and as the notation 'token build --permissions' takes (docs/token-services.md).
TOKEN may be - to read the token from stdin (surrounding whitespace is trimmed; an empty
stdin is a usage error, exit 2).

Options:
  --json       print the fields as one JSON object ({"decoded": true, ...});
               an undecodable token prints {"decoded": false, "reason", "detail"};
               "hints" is there when the token alone shows at least one (docs/hints.md)
  -h, --help   show this help

Exit status: 0 decoded, 1 not decodable (malformed, unsupported_version), 2 usage error.
`;

/** One decoded field value (JSON-safe), as `describeToken` gives it. */
type Described = ReturnType<typeof describeToken>[string];

const OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Fields holding absolute Unix times: shown with their ISO-8601 UTC form in the text output. */
const TIME_FIELDS = new Set(["ts", "issueTs", "expiresAt"]);
/** CRC-32 fields: shown in hex too, to compare with crc32(account). */
const CRC_FIELDS = new Set(["crcChannel", "crcUid"]);

/** A string as is when that is unambiguous on a terminal; JSON-quoted otherwise. */
function showString(s: string): string {
  return s !== "" && s.trim() === s && JSON.stringify(s) === `"${s}"` ? s : JSON.stringify(s);
}

function showLeaf(key: string, v: Described): string {
  if (typeof v === "string") return showString(v);
  if (typeof v === "number") {
    if (TIME_FIELDS.has(key)) return `${v} (${isoTime(v)})`;
    if (CRC_FIELDS.has(key)) return `${v} (0x${v.toString(16).padStart(8, "0")})`;
    return String(v);
  }
  return JSON.stringify(v); // null, booleans, empty arrays and objects
}

/** Flattens the described token into `path value` rows, e.g. `services[0].privileges[0].id 1`. */
function rows(path: string, key: string, v: Described, out: Array<[string, string]>): void {
  if (Array.isArray(v) && v.length > 0) {
    v.forEach((item, i) => rows(`${path}[${i}]`, key, item, out));
  } else if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
    for (const [k, item] of Object.entries(v)) rows(path === "" ? k : `${path}.${k}`, k, item, out);
  } else {
    out.push([path, showLeaf(key, v)]);
  }
}

/** The text form of `inspect`: one aligned `field value` line per decoded field. */
export function inspectText(fields: Record<string, Described>): string {
  const out: Array<[string, string]> = [];
  rows("", "", fields, out);
  const width = Math.max(...out.map(([p]) => p.length));
  const lines = out.map(([p, v]) => `${p.padEnd(width)}  ${v}`);
  return `${lines.join("\n")}\n(decoded only: the signature was not checked, so these fields are unverified claims)\n`;
}

export async function runTokenInspect(args: string[], io: CliIo, env: TokenCommandEnv): Promise<number> {
  const { values, positionals } = parseStrict(args, OPTIONS, true);
  const token = await tokenArgument(positionals, () => env.readStdin());
  const json = values["json"] === true;
  const { describeToken, parseToken } = await import("../../core/token/index.js");
  const parsed = parseToken(token);
  // Hints of the token alone (docs/hints.md), at the system clock and the default 24 h cap.
  const { tokenHints } = await import("../../core/diagnostics/index.js");
  const hints = tokenHints({ token, parsed: parsed.ok ? parsed.token : null, appId: null, uid: null, reason: null, now: env.nowSeconds(), maxLifetimeSeconds: 86_400 });
  const withHints = hints.length === 0 ? {} : { hints };
  const hintLines = hints.map((h) => `hint ${h.code}: ${h.message}\n`).join("");
  if (!parsed.ok) {
    io.out(json ? `${JSON.stringify({ decoded: false, reason: parsed.reason, detail: parsed.detail, ...withHints })}\n` : `undecodable: ${parsed.reason} (${parsed.detail})\n${hintLines}`);
    return EXIT.negative;
  }
  const fields = describeToken(parsed.token);
  io.out(json ? `${JSON.stringify({ decoded: true, ...fields, ...withHints })}\n` : `${inspectText(fields)}${hintLines}`);
  return EXIT.ok;
}
