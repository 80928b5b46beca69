/**
 * Argument handling shared by `rtm-auth token build|inspect|verify`: strict `parseArgs`, value
 * checks that turn into one-line usage errors, and reading the TOKEN positional (`-` = stdin).
 * No message written here ever repeats a certificate.
 */
import type { ParseArgsConfig } from "node:util";
import { parseCliArgs } from "./cli-io.js";

/** A usage error (exit 2). The message names the problem in one line. */
export class TokenUsageError extends Error {
  override get name(): string {
    return "TokenUsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX32_ANYWHERE = /[0-9a-fA-F]{32}/g;

/**
 * Replaces every run of 32 hex characters with `<redacted>`. Applied to usage messages, which
 * may echo user input: a certificate typed in the wrong place must not be printed back.
 */
export function redact(message: string): string {
  return message.replace(HEX32_ANYWHERE, "<redacted>");
}

/** A `parseArgs` error as a short message in this CLI's wording (Node's own text as a fallback). */
function parseErrorMessage(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message : String(err);
  const first = (message.split("\n")[0] ?? message).replace(/\.$/, "");
  // Positionals are not echoed: a certificate typed without its option would be printed back.
  if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return "unexpected positional argument (this subcommand takes options only)";
  const unknown = /^Unknown option '([^']*)'/.exec(first);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(--[\w-]+)(?: <value>)?' argument missing$/.exec(first);
  if (missing) return `option ${missing[1]} needs a value`;
  const ambiguous = /^Option '(--[\w-]+)(?: <value>)?' argument is ambiguous$/.exec(first);
  if (ambiguous) return `option ${ambiguous[1]} needs a value (write ${ambiguous[1]}=VALUE for a value that starts with '-')`;
  const flag = /^Option '(--[\w-]+)' does not take an argument$/.exec(first);
  if (flag) return `option ${flag[1]} takes no value`;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** True when `args` asks for help before any `--` terminator. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/**
 * Strict `parseArgs`. An option that may not repeat but was given twice is a usage error
 * (`parseArgs` would silently keep the last one).
 */
export function parseStrict(args: string[], options: Options, allowPositionals: boolean): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseCliArgs({ args, options, strict: true, allowPositionals, tokens: true });
  } catch (err) {
    throw new TokenUsageError(parseErrorMessage(err));
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== "option" || options[t.name]?.multiple === true) continue;
    if (seen.has(t.name)) throw new TokenUsageError(`option --${t.name} given more than once`);
    seen.add(t.name);
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

/** The string value of a required option, or a usage error naming it. */
export function requiredString(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== "string") throw new TokenUsageError(`missing required option --${name}`);
  return v;
}

/** An App ID or certificate: exactly 32 hexadecimal characters, case kept as given. */
export function hex32(name: string, value: string): string {
  if (!HEX32.test(value)) throw new TokenUsageError(`--${name} must be 32 hexadecimal characters${name === "certificate" ? " (value not shown)" : ""}`);
  return value;
}

/** A decimal integer in min..max (digits only: no sign, exponent, hex or fraction). */
export function integer(name: string, value: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(value)) throw new TokenUsageError(`--${name} must be a non-negative decimal integer, got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new TokenUsageError(`--${name} must be in ${min}..${max}, got ${value}`);
  return n;
}

/** Largest value of a u32 token field. */
export const U32_MAX = 0xffffffff;

/** Stdin is read up to this many bytes; anything longer is far over the token length cap anyway. */
const STDIN_CAP = 64 * 1024;

/** Reads standard input to its end (or to STDIN_CAP bytes), as UTF-8. */
export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), "utf8");
    chunks.push(b);
    total += b.length;
    if (total > STDIN_CAP) {
      process.stdin.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The TOKEN positional: exactly one. `-` reads it from stdin, trimmed of surrounding whitespace
 * (a token given as an argument is used exactly as given: the verifier is byte-strict).
 *
 * Throws {@link TokenUsageError} for no TOKEN, more than one, or `-` with nothing but whitespace on
 * stdin (an empty pipe is a mistake in the command, not a malformed token).
 */
export async function tokenArgument(positionals: readonly string[], readStdin: () => Promise<string>): Promise<string> {
  if (positionals.length === 0) throw new TokenUsageError("missing TOKEN (give the token, or - to read it from stdin)");
  if (positionals.length > 1) throw new TokenUsageError(`expected one TOKEN, got ${positionals.length} arguments`);
  const token = positionals[0] as string;
  if (token !== "-") return token;
  const read = (await readStdin()).trim();
  if (read === "") throw new TokenUsageError("TOKEN is -, but stdin was empty (pipe the token in, e.g. echo \"$TOKEN\" | rtm-auth token … -)");
  return read;
}

/** Unix seconds as ISO-8601 UTC without milliseconds, e.g. `2024-06-10T07:13:20Z`. */
export function isoTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isFinite(d.getTime()) ? d.toISOString().replace(/\.000Z$/, "Z") : "out of range";
}

/** What the token subcommands read from the outside world; injectable for in-process runs. */
export interface TokenCommandEnv {
  /** The current time in whole Unix seconds, for the default `--issue-ts` and `--now`. */
  nowSeconds(): number;
  /** All of standard input, for a TOKEN given as `-`. */
  readStdin(): Promise<string>;
  /** A uniform random integer in min..maxExclusive-1 (a CSPRNG), for the default salt. */
  randomInt(min: number, maxExclusive: number): Promise<number>;
}
