/**
 * `npm run docs:generate`: writes the generated parts of the docs from the code they describe, so
 * that no code, name or default is typed twice:
 *
 * - docs/reasons.md: the reason vocabulary (core/errors.ts `REASONS`, `reasonMessage`) and each
 *   reason's code and name per profile and operation, through `errorCode()` and the one table
 *   (gateway/protocol/wire-codes.ts `WIRE_CODES`, `ARGUMENT_ERROR`, `TIMEOUT_CODES`);
 * - docs/protocol.md: the close codes (core/protocol/wire.ts `CLOSE`), the state enumerations and
 *   the event sequences each profile shows (gateway/protocol/profile-events.ts);
 * - docs/compat.md: the code and error class each compat module rejects with, per operation and
 *   reason (the same codes through `errorCode()`, `ARGUMENT_ERROR` and client/client-codes.ts
 *   `clientCode()`, the classes through compat/error-classes.ts);
 * - docs/configuration.md: every setting of gateway/config.ts (the zod schema for type, range and
 *   default, `ENV_NAMES` for the variable, the field's doc comment for what it does, read as
 *   gateway/config-reference.ts reads it for `serve --help`, the fidelity presets of
 *   gateway/fidelity.ts for the switches' defaults, `rtm-auth serve --help` for flags).
 *
 * Each generated part sits between `<!-- BEGIN generated:NAME … -->` and `<!-- END generated:NAME -->`;
 * everything outside the markers is written by hand and left alone. `--check` writes nothing and
 * exits 1 when a doc differs from what would be written; test/unit/docs-generated.test.ts runs
 * the same comparison. Throws (exit 2) when the code and the docs' structure disagree: a marker
 * missing or unknown, a setting in no group, a close code or flag without its description.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { clientCode, DEFAULT_LOGIN_TIMEOUT_MS, type LocalReason } from "../client/client-codes.js";
import { RtmError, type ClientReason } from "../client/rtm-error.js";
import { rtm1ErrorClass, rtm2ErrorClass } from "../compat/error-classes.js";
import { REASONS, reasonMessage, type FailureReason } from "../core/errors.js";
import {
  CLOSE,
  closeIsRetryable,
  PROFILES,
  RTM1_REASON,
  RTM1_STATE,
  RTM2_OPERATION,
  RTM2_REASON,
  RTM2_STATE,
  type Profile,
} from "../core/protocol/wire.js";
import { runServeCommand } from "../gateway/cli/serve-command.js";
import { describe as describeField, fieldDocs } from "../gateway/config-reference.js";
import { configSchema, ENV_NAMES, type GatewayConfig } from "../gateway/config.js";
import { BEHAVIOUR_SWITCHES, FIDELITY_PRESETS, PRESETS, type BehaviourSwitches } from "../gateway/fidelity.js";
import { initialState, loggedOut, loginFailed, loginStarted, loginSucceeded, sessionEnded, type SessionEndReason } from "../gateway/protocol/profile-events.js";
import { ARGUMENT_ERROR, TIMEOUT_CODES, WIRE_CODES, type CodeName } from "../gateway/protocol/wire-codes.js";
import { errorCode } from "../gateway/sessions/session-manager.js";

/** The repository root (bench/ in the tree, dist/bench/ when built). */
export const ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../" : "../", import.meta.url));

/** One doc with generated parts: its current text and the text with every part regenerated. */
export interface GeneratedDoc {
  /** Repo-relative path, e.g. `docs/reasons.md`. */
  readonly path: string;
  readonly current: string;
  readonly expected: string;
}

// ---------------------------------------------------------------- markdown helpers

/** A table cell: pipes escaped, newlines folded. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const code = (s: string | number): string => `\`${s}\``;
const codeName = (c: CodeName): string => `${c.code} ${code(c.name)}`;

const BEGIN = /<!-- BEGIN generated:([a-z0-9-]+)[^\n]*?-->\n[\s\S]*?<!-- END generated:\1 -->/g;

/**
 * Replaces the inside of every `<!-- BEGIN generated:NAME … -->` … `<!-- END generated:NAME -->`
 * of `text` with `blocks[NAME]`. Throws when a marker names no block or a block has no marker.
 */
export function fillMarkers(path: string, text: string, blocks: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  const out = text.replace(BEGIN, (whole, name: string) => {
    const body = blocks[name];
    if (body === undefined) throw new Error(`${path}: marker generated:${name} names no generated block (known: ${Object.keys(blocks).join(", ")})`);
    if (seen.has(name)) throw new Error(`${path}: marker generated:${name} appears twice`);
    seen.add(name);
    const open = whole.slice(0, whole.indexOf("-->") + 3);
    return `${open}\n\n${body.trim()}\n\n<!-- END generated:${name} -->`;
  });
  const missing = Object.keys(blocks).filter((n) => !seen.has(n));
  if (missing.length > 0) throw new Error(`${path}: no marker for generated block(s) ${missing.join(", ")}: add <!-- BEGIN generated:NAME --> and <!-- END generated:NAME -->`);
  return out;
}

// ---------------------------------------------------------------- docs/reasons.md

const FAILURES = REASONS.filter((r): r is FailureReason => r !== "ok");

function reasonsBlock(): string {
  const rows = REASONS.map((r) => {
    if (r === "ok") return [code(r), "(accepted: no error)", "", "", ""];
    const m = WIRE_CODES[r];
    return [code(r), reasonMessage(r), m.retryable ? "yes" : "no", String(m.http), m.close === null ? "" : String(m.close)];
  });
  return table(["reason", "message sent with the refusal", "retryable", "upgrade refused with", "ends a session with close"], rows);
}

function opCodesBlock(op: "login" | "renewToken" | "logout"): string {
  const rows = FAILURES.map((r) => {
    const one = errorCode("rtm1", op, r, false);
    const two = errorCode("rtm2", op, r, false);
    const cells = [code(r), String(one.code), code(one.name), String(two.code), code(two.name)];
    if (op === "login") cells.push(code((loginFailed("rtm2", "CONNECTING", r).event as { readonly reason: string }).reason));
    return cells;
  });
  const head = ["reason", "rtm1 code", "rtm1 name", "rtm2 code", "rtm2 name"];
  if (op === "login") head.push("rtm2 `linkState` reason");
  return table(head, rows);
}

function argumentBlock(): string {
  return table(
    ["profile", "login", "renewToken"],
    PROFILES.map((p) => [code(p), codeName(ARGUMENT_ERROR[p].login), codeName(ARGUMENT_ERROR[p].renewToken)]),
  );
}

function timeoutBlock(): string {
  return table(
    ["profile", "client-side login timeout", "code"],
    [
      [code("rtm1"), `${DEFAULT_LOGIN_TIMEOUT_MS.rtm1 / 1000} s`, codeName(TIMEOUT_CODES.rtm1Login)],
      [code("rtm2"), `${DEFAULT_LOGIN_TIMEOUT_MS.rtm2 / 1000} s`, codeName(TIMEOUT_CODES.rtm2Login)],
    ],
  );
}

// ---------------------------------------------------------------- docs/compat.md

/** The client-side failures of each operation (client/client-codes.ts), as the compat modules see them. */
const CLIENT_FAILURES: Readonly<Record<"login" | "renewToken" | "logout", readonly LocalReason[]>> = {
  login: ["login_timeout", "connection_closed"],
  renewToken: ["renew_timeout", "connection_closed"],
  logout: ["connection_closed"],
};

function compatCodesBlock(op: "login" | "renewToken" | "logout"): string {
  const failure = (c: CodeName, reason: ClientReason): RtmError => new RtmError({ code: c.code, name: c.name, reason, message: "", op });
  const row = (label: string, one: RtmError, two: RtmError): string[] => [label, String(one.code), code(rtm1ErrorClass(one)), String(two.code), code(rtm2ErrorClass(two))];
  const rows = FAILURES.map((r) => row(code(r), failure(errorCode("rtm1", op, r, false), r), failure(errorCode("rtm2", op, r, false), r)));
  if (op !== "logout") {
    rows.push(row(`${code("malformed")} (argument)`, failure(ARGUMENT_ERROR.rtm1[op], "malformed"), failure(ARGUMENT_ERROR.rtm2[op], "malformed")));
  }
  for (const r of CLIENT_FAILURES[op]) rows.push(row(`${code(r)} (client)`, failure(clientCode("rtm1", op, r), r), failure(clientCode("rtm2", op, r), r)));
  return table(["reason", "1.x `code`", "1.x error `name`", "2.x `errorCode`", "2.x error `name`"], rows);
}

// ---------------------------------------------------------------- docs/protocol.md

/** What each close code means: one entry per key of CLOSE, so a new code cannot go undescribed. */
const CLOSE_MEANINGS: Readonly<Record<keyof typeof CLOSE, string>> = {
  tooBig: "a frame over `MAX_FRAME_BYTES` (sent by the `ws` library)",
  loginDeadline: "no successful login within `LOGIN_DEADLINE_SECONDS` of the connection (or of the last logout)",
  shuttingDown: "the gateway is shutting down or draining, or `POST /admin/reset` closed every connection",
  protocolViolation: "a protocol violation: see Protocol violations",
  remoteLogin: "the same App ID and uid logged in on another connection, on this gateway or another one sharing its Redis",
  banned: "kicked: `DELETE /admin/sessions/:sessionId`, or a `kick` fault rule",
  sessionTokenExpired: "the session's token expired (see Token expiry)",
};

function closeCodesBlock(): string {
  const rows = (Object.keys(CLOSE) as Array<keyof typeof CLOSE>).map((k) => {
    const c = CLOSE[k];
    const retry = c >= 4000 ? (closeIsRetryable(c) ? "yes" : "no, not without a change") : "no, not the same frame";
    return [String(c), code(`CLOSE.${k}`), CLOSE_MEANINGS[k], retry];
  });
  return table(["code", "in the code", "when", "reconnect as it is?"], rows);
}

function enumLine<T extends Record<string, number>>(e: T): string {
  return Object.entries(e)
    .map(([k, v]) => `${code(k)} ${v}`)
    .join(", ");
}

function enumsBlock(): string {
  return [
    `- \`rtm1\` states (\`state\`, \`stateCode\`): ${enumLine(RTM1_STATE)}.`,
    `- \`rtm1\` reasons (\`reason\`, \`reasonCode\`): ${enumLine(RTM1_REASON)}.`,
    `- \`rtm2\` link states (\`currentState\`, \`previousState\`): ${enumLine(RTM2_STATE)}.`,
    `- \`rtm2\` operations (\`operation\`): ${enumLine(RTM2_OPERATION)}.`,
    `- \`rtm2\` reasons (\`reason\`, \`reasonCode\`; the ones the gateway sends): ${enumLine(RTM2_REASON)}.`,
  ].join("\n");
}

function sequencesBlock(): string {
  const json = (e: object): string => code(JSON.stringify(e));
  const rows: string[][] = [];
  const seq = (situation: string, byProfile: (p: Profile) => object[]): void => {
    rows.push([situation, ...PROFILES.map((p) => byProfile(p).map(json).join(" then ") || "(none)")]);
  };
  seq("login accepted", (p) => {
    const a = loginStarted(p, initialState(p));
    return [a.event, loginSucceeded(p, a.state).event];
  });
  seq("login refused, e.g. `invalid_signature`", (p) => {
    const a = loginStarted(p, initialState(p));
    return [a.event, loginFailed(p, a.state, "invalid_signature").event];
  });
  seq("login refused for `invalid_uid`", (p) => (p === "rtm1" ? [] : [loginFailed(p, initialState(p), "invalid_uid").event]));
  seq("login again after a refused login, on the same connection", (p) => {
    const failed = loginFailed(p, loginStarted(p, initialState(p)).state, "invalid_signature").state;
    return [loginStarted(p, failed).event];
  });
  seq("logout", (p) => [loggedOut(p, loginSucceeded(p, loginStarted(p, initialState(p)).state).state).event]);
  const ends: readonly SessionEndReason[] = ["remote_login", "banned", "session_token_expired"];
  for (const r of ends) {
    seq(`session ended: \`${r}\`, then close ${WIRE_CODES[r].close}`, (p) => {
      const connected = loginSucceeded(p, loginStarted(p, initialState(p)).state).state;
      const before = r === "session_token_expired" && p === "rtm1" ? [{ event: "tokenExpired" }] : [];
      return [...before, sessionEnded(p, connected, r).event];
    });
  }
  return table(["situation", ...PROFILES.map(code)], rows);
}

// ---------------------------------------------------------------- docs/configuration.md

type Field = keyof GatewayConfig & string;

/** The groups of settings, each with the doc that explains it; every field must be in exactly one. */
const GROUPS: ReadonlyArray<{ readonly title: string; readonly see: string; readonly fields: readonly Field[] }> = [
  { title: "Where it listens", see: "", fields: ["port", "host"] },
  {
    title: "Bounds a client can push against",
    see: "docs/robustness.md",
    fields: [
      "maxFrameBytes",
      "loginDeadlineSeconds",
      "maxConnections",
      "httpReserveConnections",
      "maxConnectionsPerIp",
      "perIpConnectionsPerSecond",
      "callsPerSecond",
      "pingsPerSecond",
      "maxBufferedBytes",
      "maxPendingRequests",
      "closeTimeoutMs",
      "httpRequestTimeoutSeconds",
      "drainSeconds",
    ],
  },
  { title: "Tokens and their time", see: "docs/tokens.md, docs/token-lifetime.md", fields: ["maxTokenLength", "maxInflatedBytes", "maxTokenLifetimeSeconds", "willExpireSeconds"] },
  {
    title: "Fidelity",
    see: "docs/fidelity.md",
    fields: ["fidelity", "checkOrder", "privilege006", "accept006RtcAsRtm", "uidRefuseLeadingSpace", "uidWeb2Validator", "rtm1LoginSpacingMs"],
  },
  { title: "Projects, journal and rollouts", see: "docs/agora-behaviour.md, docs/rollouts.md", fields: ["devSeed", "certActivationDelaySeconds", "journalSize", "rolloutTickMs"] },
  {
    title: "Admin API",
    see: "docs/admin-api-security.md",
    fields: ["adminJwtSecret", "adminJwksUrl", "adminJwtAudience", "adminJwtIssuer", "adminJwtMaxLifetimeSeconds", "adminJwtClockSkewSeconds"],
  },
  { title: "Redis", see: "docs/redis.md", fields: ["redisUrl", "redisKeyPrefix", "redisMaxStalenessSeconds", "redisStartTimeoutSeconds"] },
  { title: "Logging", see: "", fields: ["logLevel"] },
];

/** The `rtm-auth serve` flags that set a field (with a note); each must appear in `serve --help`. */
const FLAGS: Readonly<Partial<Record<Field, { readonly flag: string; readonly note?: string }>>> = {
  port: { flag: "--port N" },
  host: { flag: "--host ADDR" },
  devSeed: { flag: "--no-dev-seed", note: "sets it to false" },
};

interface ZodLike {
  readonly _zod: { readonly def: Record<string, unknown> & { readonly type: string } };
  readonly options?: readonly string[];
}

function unwrap(s: ZodLike): ZodLike {
  let t = s;
  while (t._zod.def["innerType"] !== undefined) t = t._zod.def["innerType"] as ZodLike;
  return t;
}

/** The error message a zod check was given (its `error` option), without a leading "must be ". */
function checkMessage(check: ZodLike): string | null {
  const error = check._zod.def["error"];
  const text = typeof error === "function" ? (error as (i: object) => unknown)({}) : error;
  return typeof text === "string" ? text.replace(/^must be /, "") : null;
}

/** "integer 0–65535", "`a` \| `b`", "boolean", "text: …", from the field's schema. */
function typeOf(schema: ZodLike): string {
  const t = unwrap(schema);
  const d = t._zod.def;
  if (d.type === "enum") return (t.options ?? []).map(code).join(" | ");
  if (d.type === "pipe") {
    const out = d["out"] as ZodLike & { minValue?: number | null; maxValue?: number | null };
    if (out._zod.def.type === "transform") return "boolean";
    const n = (v: number | null | undefined): string => (v === null || v === undefined ? "" : v.toLocaleString("en-US").replace(/,/g, " "));
    return `integer ${n(out.minValue)}–${n(out.maxValue)}`;
  }
  if (d.type === "string") {
    if (d["format"] === "url") return "http or https URL";
    const checks = (d["checks"] as ZodLike[] | undefined) ?? [];
    const parts = checks.map((c) => {
      const cd = c._zod.def;
      if (cd["check"] === "min_length") return (cd["minimum"] as number) <= 1 ? "not empty" : `at least ${cd["minimum"] as number} characters`;
      return checkMessage(c) ?? "";
    });
    return parts.length === 0 || parts.every((p) => p === "") ? "text" : `text, ${parts.filter((p) => p !== "").join(", ")}`;
  }
  throw new Error(`gateway/config.ts: no type description for a ${d.type} setting`);
}

function formatValue(v: unknown): string {
  if (v === undefined) return "unset";
  if (typeof v === "string") return code(v);
  return code(String(v));
}

/**
 * What a field does: its doc comment in gateway/config.ts without the `[ENV]` mark and the
 * `Default …` clause (the same reading as `rtm-auth serve --help`, gateway/config-reference.ts).
 * Throws when the comment is missing or does not name the field's variable.
 */
function description(field: Field, docs: ReadonlyMap<string, string>): string {
  const env = ENV_NAMES[field];
  const doc = docs.get(field);
  if (doc === undefined) throw new Error(`gateway/config.ts: ${field} has no doc comment`);
  if (!doc.includes(`[${env}]`)) throw new Error(`gateway/config.ts: the doc comment of ${field} does not name its variable [${env}]`);
  return describeField(doc, env);
}

function configBlock(root: string, serveHelp: string): string {
  const shape = (configSchema as unknown as { shape: Record<string, ZodLike> }).shape;
  const fields = Object.keys(shape) as Field[];
  const grouped = GROUPS.flatMap((g) => g.fields);
  for (const f of fields) {
    const n = grouped.filter((g) => g === f).length;
    if (n !== 1) throw new Error(`bench/docs-generate.ts: setting ${f} is in ${n} groups of GROUPS; put it in exactly one`);
  }
  for (const f of grouped) if (!(f in shape)) throw new Error(`bench/docs-generate.ts: GROUPS names ${f}, which gateway/config.ts does not have`);
  for (const [f, flag] of Object.entries(FLAGS)) {
    const name = flag.flag.split(" ")[0] as string;
    if (!serveHelp.includes(name)) throw new Error(`bench/docs-generate.ts: flag ${name} (${f}) is not in rtm-auth serve --help`);
  }
  const docs = fieldDocs(readFileSync(join(root, "gateway/config.ts"), "utf8"));
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const switches = new Set<string>(BEHAVIOUR_SWITCHES);
  const out: string[] = [];
  for (const g of GROUPS) {
    out.push(`### ${g.title}`, "");
    if (g.see !== "") out.push(`More in ${g.see.split(", ").map(code).join(" and ")}.`, "");
    const rows = g.fields.map((f) => {
      let shown: string;
      if (switches.has(f)) {
        const key = f as keyof BehaviourSwitches;
        shown = FIDELITY_PRESETS.map((p) => `${formatValue(PRESETS[p][key])} (${p})`).join(", ");
      } else shown = formatValue(defaults[f]);
      const flag = FLAGS[f];
      const flagCell = flag === undefined ? "" : `${code(flag.flag)}${flag.note === undefined ? "" : ` (${flag.note})`}`;
      return [`${code(ENV_NAMES[f])} (${code(f)})`, flagCell, typeOf(shape[f] as ZodLike), shown, description(f, docs)];
    });
    out.push(table(["variable (field)", "`serve` flag", "type", "default", "what it does"], rows), "");
  }
  return out.join("\n");
}

// ---------------------------------------------------------------- all docs

async function serveHelp(): Promise<string> {
  let text = "";
  await runServeCommand(["--help"], { out: (s) => (text += s), err: (s) => (text += s) });
  return text;
}

/** The generated blocks of every doc: doc path → block name → markdown. */
export async function generatedBlocks(root: string = ROOT): Promise<Record<string, Record<string, string>>> {
  const help = await serveHelp();
  return {
    "docs/reasons.md": {
      reasons: reasonsBlock(),
      "login-codes": opCodesBlock("login"),
      "renew-codes": opCodesBlock("renewToken"),
      "logout-codes": opCodesBlock("logout"),
      "argument-codes": argumentBlock(),
      "timeout-codes": timeoutBlock(),
    },
    "docs/protocol.md": {
      "close-codes": closeCodesBlock(),
      "state-enums": enumsBlock(),
      "event-sequences": sequencesBlock(),
    },
    "docs/configuration.md": {
      settings: configBlock(root, help),
    },
    "docs/compat.md": {
      "compat-login-codes": compatCodesBlock("login"),
      "compat-renew-codes": compatCodesBlock("renewToken"),
      "compat-logout-codes": compatCodesBlock("logout"),
    },
  };
}

/** Every doc with generated parts, current and expected. Reads the docs and gateway/config.ts under `root`. */
export async function generatedDocs(root: string = ROOT): Promise<GeneratedDoc[]> {
  const blocks = await generatedBlocks(root);
  return Object.entries(blocks).map(([path, b]) => {
    const current = readFileSync(join(root, path), "utf8");
    return { path, current, expected: fillMarkers(path, current, b) };
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes("--check");
  const docs = await generatedDocs();
  const stale = docs.filter((d) => d.current !== d.expected);
  if (check) {
    for (const d of stale) process.stderr.write(`${d.path} is out of date: run npm run docs:generate\n`);
    if (stale.length === 0) process.stdout.write("docs: generated parts up to date\n");
    return stale.length === 0 ? 0 : 1;
  }
  for (const d of stale) writeFileSync(join(ROOT, d.path), d.expected);
  process.stdout.write(stale.length === 0 ? "docs: generated parts up to date\n" : `docs: wrote ${stale.map((d) => d.path).join(", ")}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`docs:generate: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
