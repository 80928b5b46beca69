/**
 * Every `docs/<file>.md` the code cites exists, and every section it names is a heading of that
 * file. A citation is `docs/<file>.md`, optionally followed by `, "Section"` (the comma may be
 * left out; in comments the quoted section may wrap onto the next line). A section matches a
 * heading of the file (outside code blocks) when, ignoring case, backticks and `#`s, the heading is
 * the section or begins with it followed by a non-word character ("Graceful drain" cites
 * "Graceful drain (SIGTERM)").
 *
 * Scanned: the source of core/, policies/, gateway/ (the console's static files included),
 * client/, compat/, examples/, bench/ and test/; README.md and docs/*.md; the OpenAPI document served at
 * `/admin/openapi.json` and the HELP text served at `/metrics`, both as the running gateway builds
 * them. Also: no file cites the team's internal specs (the protocol, token-format and RTM
 * semantics specs, and the design's numbered architecture sections), which users cannot see.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { OPENAPI_DOCUMENT } from "../../gateway/admin/openapi.js";
import { createMetrics } from "../../gateway/infra/metrics.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE_DIRS = ["core", "policies", "gateway", "client", "compat", "examples", "bench", "test"] as const;
const SOURCE_EXTENSIONS = [".ts", ".js", ".mjs", ".html", ".css", ".md"];
/** This file: its examples of broken citations are meant to be broken. */
const SELF = "test/unit/docs-citations.test.ts";

/** One citation found: where, which file, which section (null when none is named). */
interface Citation {
  readonly where: string;
  readonly file: string;
  readonly section: string | null;
}

/**
 * `docs/x.md`, then optionally a closing backtick and a quoted section after a comma or a blank (a
 * line break with a comment's `*` or `//` counts as one). A quote right after `.md` closes a string
 * literal (`"docs/x.md", …`), so at least a comma or a blank must come first. Quotes escaped with a
 * backslash (inside a string literal) count as quotes.
 */
const WRAP = String.raw`\r?\n[ \t]*(?:\*|\/\/)?[ \t]*`;
const CITATION = new RegExp(
  String.raw`\bdocs\/([A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*)\.md` +
    "`?" +
    String.raw`(?:(?:(?:,|[ \t])[ \t]*(?:${WRAP})?|,?[ \t]*${WRAP})\\?"([^"\\\n]{1,120}(?:${WRAP}[^"\\\n]{1,120})?)\\?")?`,
  "g",
);

/** Every citation in `text`, each named `label:line`. */
export function citationsIn(label: string, text: string): Citation[] {
  const out: Citation[] = [];
  for (const m of text.matchAll(CITATION)) {
    const line = text.slice(0, m.index).split("\n").length;
    const section = m[2] === undefined ? null : m[2].replace(/\s*\r?\n[ \t]*(?:\*|\/\/)?[ \t]*/g, " ").trim();
    out.push({ where: `${label}:${line}`, file: `docs/${m[1] as string}.md`, section });
  }
  return out;
}

/** A heading or a cited section, compared loosely: lower case, no backticks, no `#`, single spaces. */
function normalise(s: string): string {
  return s.replace(/`/g, "").replace(/\s+/g, " ").trim().toLowerCase();
}

/** The headings of a markdown text, outside fenced code blocks, normalised. */
export function headingsOf(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) {
      const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (h !== null) out.push(normalise(h[1] as string));
    }
  }
  return out;
}

/** True when `section` names one of `headings` (equal, or its start up to a non-word character). */
export function sectionMatches(section: string, headings: readonly string[]): boolean {
  const s = normalise(section);
  return headings.some((h) => h === s || (h.startsWith(s) && /^[^\p{L}\p{N}_]/u.test(h.slice(s.length))));
}

/** What is wrong with each citation (`readDoc` returns a doc's text, or null when it does not exist). */
export function brokenCitations(citations: readonly Citation[], readDoc: (file: string) => string | null): string[] {
  const headings = new Map<string, string[] | null>();
  const out: string[] = [];
  for (const c of citations) {
    if (!headings.has(c.file)) {
      const text = readDoc(c.file);
      headings.set(c.file, text === null ? null : headingsOf(text));
    }
    const h = headings.get(c.file) ?? null;
    if (h === null) out.push(`${c.where}: cites ${c.file}, which does not exist`);
    else if (c.section !== null && !sectionMatches(c.section, h)) out.push(`${c.where}: cites ${c.file}, "${c.section}", which is no heading of it`);
  }
  return out;
}

function readRepoDoc(file: string): string | null {
  const path = posix.join(ROOT, file);
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(posix.join(ROOT, dir), { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return entries
    .map((e) => e.split("\\").join("/"))
    .filter((e) => SOURCE_EXTENSIONS.some((x) => e.endsWith(x)) && !e.split("/").includes("node_modules"))
    .sort()
    .map((e) => `${dir}/${e}`);
}

const sourceFiles = SOURCE_DIRS.flatMap(filesUnder).filter((f) => f !== SELF);
const docFiles = ["README.md", ...readdirSync(posix.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const read = (path: string): string => readFileSync(posix.join(ROOT, path), "utf8");

/** Every string value of a JSON-like value, with its path. */
function strings(value: unknown, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) strings(v, `${path}.${k}`, out);
  return out;
}

describe("citations of docs/", () => {
  it("the scan sees the tree (so an empty scan cannot pass)", () => {
    expect(sourceFiles).toContain("gateway/protocol/wire-codes.ts");
    expect(sourceFiles).toContain("test/unit/dependency-rule.test.ts");
    expect(docFiles).toContain("docs/protocol.md");
    const all = sourceFiles.flatMap((f) => citationsIn(f, read(f)));
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((c) => c.section !== null).length).toBeGreaterThan(50);
  });

  it("every citation in the source (core, policies, gateway, client, compat, examples, bench, test) names an existing file and heading", () => {
    const citations = sourceFiles.flatMap((f) => citationsIn(f, read(f)));
    expect(brokenCitations(citations, readRepoDoc)).toEqual([]);
  });

  it("every citation in README.md and docs/*.md names an existing file and heading", () => {
    const citations = docFiles.flatMap((f) => citationsIn(f, read(f)));
    expect(brokenCitations(citations, readRepoDoc)).toEqual([]);
  });

  it("the OpenAPI document (/admin/openapi.json) cites only existing docs and headings", () => {
    const found = strings(OPENAPI_DOCUMENT, "openapi", []);
    const citations = found.flatMap(([path, text]) => citationsIn(path, text));
    expect(citations.length).toBeGreaterThan(0);
    expect(brokenCitations(citations, readRepoDoc)).toEqual([]);
    expect(found.filter(([, text]) => /gateway-protocol\.md|token-formats\.md|rtm-semantics\.md|architecture\.md §/.test(text)).map(([p]) => p)).toEqual([]);
  });

  it("the HELP text of /metrics cites only existing docs and headings", async () => {
    const registry = new Registry();
    createMetrics({ registry, sessions: () => 0, redisUp: () => true, sockets: () => ({ total: 0, websocket: 0 }), defaultMetrics: false });
    const help = (await registry.metrics()).split("\n").filter((l) => l.startsWith("# HELP "));
    expect(help.length).toBeGreaterThan(10);
    const citations = help.flatMap((l) => citationsIn(`/metrics ${l.split(" ")[2] as string}`, l));
    expect(citations.length).toBeGreaterThan(0);
    expect(brokenCitations(citations, readRepoDoc)).toEqual([]);
    expect(help.filter((l) => /gateway-protocol\.md|token-formats\.md|rtm-semantics\.md|architecture\.md §/.test(l))).toEqual([]);
  });

  it("nothing cites the internal specs users cannot see", () => {
    const internal = /gateway-protocol\.md|token-formats\.md|rtm-semantics\.md|(?<!docs\/)architecture\.md §/;
    const hits = [...sourceFiles, ...docFiles].flatMap((f) =>
        read(f)
          .split("\n")
          .map((line, i) => [`${f}:${i + 1}`, line] as const)
          .filter(([, line]) => internal.test(line))
          .map(([where]) => where),
      );
    expect(hits).toEqual([]);
  });

  it("finds what is broken: a missing file, a missing heading, a section wrapped in a comment", () => {
    const source = [
      '// see docs/protocol.md, "Close codes" and docs/protocol.md "close codes"',
      "/** docs/protocol.md, \"Admin",
      ' * API" and docs/tokens.md, "Expiry" and `docs/reasons.md`, "Login codes" */',
      '// docs/no-such-doc.md and docs/protocol.md, "No such heading" and docs/tokens.md, "Expir"',
      'const s = readFileSync(new URL("../docs/hints.md", import.meta.url), "utf8");',
      'describe("x (docs/protocol.md, \\"Requests\\")", () => {});',
    ].join("\n");
    const citations = citationsIn("bogus.ts", source);
    expect(citations.map((c) => [c.file, c.section])).toEqual([
      ["docs/protocol.md", "Close codes"],
      ["docs/protocol.md", "close codes"],
      ["docs/protocol.md", "Admin API"],
      ["docs/tokens.md", "Expiry"],
      ["docs/reasons.md", "Login codes"],
      ["docs/no-such-doc.md", null],
      ["docs/protocol.md", "No such heading"],
      ["docs/tokens.md", "Expir"],
      ["docs/hints.md", null],
      ["docs/protocol.md", "Requests"],
    ]);
    expect(brokenCitations(citations, readRepoDoc)).toEqual([
      "bogus.ts:4: cites docs/no-such-doc.md, which does not exist",
      'bogus.ts:4: cites docs/protocol.md, "No such heading", which is no heading of it',
      'bogus.ts:4: cites docs/tokens.md, "Expir", which is no heading of it',
    ]);
  });

  it("headings in code blocks do not count", () => {
    const md = "# Title\n\n```sh\n# not a heading\n```\n\n## Real one (more)\n";
    expect(headingsOf(md)).toEqual(["title", "real one (more)"]);
    expect(sectionMatches("Real one", headingsOf(md))).toBe(true);
    expect(sectionMatches("not a heading", headingsOf(md))).toBe(false);
  });
});
