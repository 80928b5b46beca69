/**
 * Every setting of the gateway as a user meets it, generated, never typed a second time:
 *
 * - the environment variable: {@link ENV_NAMES};
 * - the default: read from the schema itself (`configSchema.parse({})`), so it is what the gateway
 *   really uses when the variable is unset; a behaviour switch shows `FIDELITY` and the value the
 *   default preset gives it (gateway/fidelity.ts);
 * - the description: the field's doc comment in gateway/config.ts, read from that module's own
 *   source file next to this one (`config.ts` in the tree, `config.js` in dist/, where the build
 *   keeps comments).
 *
 * `rtm-auth serve --help` prints {@link formatSettings}.
 */
import { existsSync, readFileSync } from "node:fs";
import { configSchema, ENV_NAMES, loadConfig, type GatewayConfig } from "./config.js";

/** One setting. */
export interface SettingReference {
  /** The config field, e.g. `port`. */
  readonly field: keyof GatewayConfig;
  /** Its environment variable, e.g. `PORT`. */
  readonly env: string;
  /**
   * The default as a user would write it: `8080`, `127.0.0.1`, `1` / `0` for a boolean, `unset`
   * for an optional setting, `FIDELITY (spec)` for a behaviour switch (the documented preset's value).
   */
  readonly defaultText: string;
  /** The doc comment without its `[ENV]` marker and its `Default …` clause, one line. */
  readonly description: string;
  /** The first sentence of {@link description}. */
  readonly summary: string;
}

/** The doc comment text of each field of the schema in `source` (gateway/config.ts or its build). */
export function fieldDocs(source: string): ReadonlyMap<string, string> {
  const start = source.indexOf("configSchema = z");
  const body = start < 0 ? "" : source.slice(start);
  const out = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\s*:/g)) {
    const text = (m[1] ?? "")
      .split("\n")
      .map((l) => l.replace(/^\s*\*\s?/, "").trim())
      .filter((l) => l !== "")
      .join(" ");
    if (!out.has(m[2] as string)) out.set(m[2] as string, text);
  }
  return out;
}

/** The doc comment without `[ENV]` and the `Default …` clause that follows it (other text after it is kept). */
export function describe(doc: string, env: string): string {
  const marker = `[${env}]`;
  const at = doc.indexOf(marker);
  if (at < 0) return doc.trim();
  const before = doc.slice(0, at).trim();
  // "Default 8080." / "Default `127.0.0.1`; use …" / "Default 20000 (about …)." / "Default unset."
  const after = doc
    .slice(at + marker.length)
    .trim()
    .replace(/^Default\s+(`[^`]*`|\S+?)(\s*\([^)]*\))?([.;,]|$)\s*/, "")
    .trim();
  return after === "" ? before : `${before} ${after.charAt(0).toUpperCase()}${after.slice(1)}`;
}

/** The first sentence of `text` (up to the first `. ` outside backticks). */
export function firstSentence(text: string): string {
  let tick = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "`") tick = !tick;
    else if (!tick && c === "." && (i === text.length - 1 || text[i + 1] === " ") && !/\b(e\.g|i\.e|etc)$/.test(text.slice(Math.max(0, i - 4), i))) return text.slice(0, i + 1);
  }
  return text;
}

function configSource(): string {
  for (const name of ["./config.ts", "./config.js"]) {
    const url = new URL(name, import.meta.url);
    if (existsSync(url)) return readFileSync(url, "utf8");
  }
  return "";
}

function showDefault(v: unknown): string {
  if (v === undefined) return "unset";
  if (typeof v === "boolean") return v ? "1" : "0";
  return String(v);
}

let cached: readonly SettingReference[] | null = null;

/** Every setting, in the order of {@link ENV_NAMES}. A field without a doc comment gets an empty description. */
export function configReference(): readonly SettingReference[] {
  if (cached !== null) return cached;
  const docs = fieldDocs(configSource());
  const parsed = configSchema.parse({}) as Record<string, unknown>;
  const effective = loadConfig() as unknown as Record<string, unknown>;
  cached = (Object.entries(ENV_NAMES) as Array<[keyof GatewayConfig, string]>).map(([field, env]) => {
    const description = describe(docs.get(field) ?? "", env);
    const defaultText = field in parsed ? showDefault(parsed[field]) : effective[field] !== undefined ? `FIDELITY (${showDefault(effective[field])})` : "unset";
    return { field, env, defaultText, description, summary: firstSentence(description) };
  });
  return cached;
}

/** Wraps `text` to `width` columns, continuation lines indented by `indent` spaces. */
function wrap(text: string, first: number, width: number, indent: number): string {
  const lines: string[] = [];
  let line = "";
  let room = width - first;
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = width - indent;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

/**
 * The settings as `rtm-auth serve --help` lists them: one row per setting, `  ENV  DEFAULT  summary`,
 * the summary wrapped to `width` columns (default 110).
 */
export function formatSettings(width = 110): string {
  const rows = configReference();
  const envW = Math.max(...rows.map((r) => r.env.length));
  const defW = Math.max(...rows.map((r) => r.defaultText.length), "default".length);
  const head = `  ${"variable".padEnd(envW)}  ${"default".padEnd(defW)}  meaning`;
  const indent = 2 + envW + 2 + defW + 2;
  return [head, ...rows.map((r) => `  ${r.env.padEnd(envW)}  ${r.defaultText.padEnd(defW)}  ${wrap(r.summary, indent, width, indent)}`)].join("\n");
}
