/**
 * The dependency rule of docs/architecture.md, "The dependency rule", enforced: `gateway → policies → core`.
 *
 * - core/ imports nothing from gateway/, policies/ or client/, and none of the I/O and framework
 *   packages (ws, express, ioredis, prom-client, pino, zod, jose); node: builtins are fine.
 * - policies/ imports only core/ (and its own files) and node: builtins.
 * - client/ imports nothing from gateway/ or policies/, with ONE exception: client/testing.ts (the
 *   embedded test gateway) may import gateway/main.ts, the composition root, and nothing else of
 *   gateway/.
 * - compat/ imports only client/, core/ and its own files: no package and no node: builtin (it runs
 *   in a browser bundle), except its Node-only hook, compat/register.ts and compat/register-hooks.ts,
 *   which may use node: builtins.
 * - core/ and policies/ never read the system clock: no `Date.now(` and no `new Date(`.
 *
 * Files are parsed with the TypeScript compiler, so multi-line imports, `export … from`,
 * `import type`, side-effect imports, `import()`, `require()` and `import x = require()` are all
 * seen, and text in comments or strings is not mistaken for code.
 */
import { readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCANNED = ["core", "policies", "gateway", "client", "compat"] as const;
type Layer = (typeof SCANNED)[number];

const CORE_FORBIDDEN_PACKAGES = new Set(["ws", "express", "ioredis", "prom-client", "pino", "zod", "jose"]);
const CLOCK_FREE: ReadonlySet<string> = new Set(["core", "policies"]);
/** The only client/ file that may import gateway/, and the only gateway/ file it may import. */
const EMBEDDING_FILE = "client/testing.ts";
const EMBEDDED_ENTRY = "gateway/main.js";
/** The compat/ files that only run in Node (the module hook) and may use node: builtins. */
const COMPAT_NODE_ONLY: ReadonlySet<string> = new Set(["compat/register.ts", "compat/register-hooks.ts"]);

interface SourceFile {
  /** Repo-relative, '/'-separated. */
  readonly path: string;
  readonly source: string;
}

interface Found {
  readonly kind: "import" | "clock";
  readonly text: string;
  readonly line: number;
}

/** Every module specifier and every system-clock read in `source`, with 1-based lines. */
function scan(path: string, source: string): Found[] {
  const sf = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Found[] = [];
  const line = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const addImport = (spec: ts.Node | undefined): void => {
    if (spec && ts.isStringLiteralLike(spec)) found.push({ kind: "import", text: spec.text, line: line(spec) });
  };
  const isDate = (e: ts.Expression): boolean =>
    (ts.isIdentifier(e) && e.text === "Date") || (ts.isPropertyAccessExpression(e) && e.name.text === "Date" && ts.isIdentifier(e.expression) && e.expression.text === "globalThis");

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) addImport(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) addImport(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) addImport(node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) addImport(node.arguments[0]);
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === "now" && isDate(callee.expression)) {
        found.push({ kind: "clock", text: "Date.now(", line: line(node) });
      }
    } else if (ts.isNewExpression(node) && isDate(node.expression)) {
      found.push({ kind: "clock", text: "new Date(", line: line(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** What a specifier points at: a node builtin, a repo folder, or an npm package. */
function target(fromPath: string, spec: string): { kind: "builtin" } | { kind: "local"; layer: string; path: string } | { kind: "package"; name: string } {
  if (spec.startsWith("node:")) return { kind: "builtin" };
  if (spec.startsWith(".") || spec.startsWith("/")) {
    const resolved = posix.normalize(posix.join(posix.dirname(fromPath), spec));
    return { kind: "local", layer: resolved.split("/")[0] ?? "", path: resolved };
  }
  const parts = spec.split("/");
  return { kind: "package", name: spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec) };
}

/** The rule broken by `spec` imported from a file of `layer`, or null. */
function importViolation(layer: Layer, fromPath: string, spec: string): string | null {
  const t = target(fromPath, spec);
  switch (layer) {
    case "core":
      if (t.kind === "local" && t.layer !== "core") return `core/ imports ${t.layer}/ ("${spec}")`;
      if (t.kind === "package" && CORE_FORBIDDEN_PACKAGES.has(t.name)) return `core/ imports the package "${t.name}"`;
      return null;
    case "policies":
      if (t.kind === "builtin") return null;
      if (t.kind === "local" && (t.layer === "core" || t.layer === "policies")) return null;
      return t.kind === "local" ? `policies/ imports ${t.layer}/ ("${spec}")` : `policies/ imports the package "${t.name}" (only core/ and node: builtins)`;
    case "client":
      if (t.kind === "local" && t.layer === "gateway" && fromPath === EMBEDDING_FILE && t.path === EMBEDDED_ENTRY) return null;
      if (t.kind === "local" && (t.layer === "gateway" || t.layer === "policies")) return `client/ imports ${t.layer}/ ("${spec}")`;
      return null;
    case "compat":
      if (t.kind === "builtin") return COMPAT_NODE_ONLY.has(fromPath) ? null : `compat/ imports a node: builtin ("${spec}"): it must run in a browser`;
      if (t.kind === "local" && !["client", "core", "compat"].includes(t.layer)) return `compat/ imports ${t.layer}/ ("${spec}")`;
      return t.kind === "package" ? `compat/ imports the package "${t.name}" (only client/ and core/)` : null;
    case "gateway":
      return null;
  }
}

/** Every broken rule in `files`, as "path:line: message". */
function violations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const layer = f.path.split("/")[0] as Layer;
    if (!SCANNED.includes(layer)) continue;
    for (const hit of scan(f.path, f.source)) {
      if (hit.kind === "import") {
        const v = importViolation(layer, f.path, hit.text);
        if (v !== null) out.push(`${f.path}:${hit.line}: ${v}`);
      } else if (CLOCK_FREE.has(layer)) {
        out.push(`${f.path}:${hit.line}: ${layer}/ reads the system clock (${hit.text}); inject a Clock`);
      }
    }
  }
  return out;
}

function filesUnder(dir: string): SourceFile[] {
  let entries: string[];
  try {
    entries = readdirSync(posix.join(ROOT, dir), { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return entries
    .map((e) => e.split("\\").join("/"))
    .filter((e) => e.endsWith(".ts") && !e.split("/").includes("node_modules"))
    .sort()
    .map((e) => ({ path: `${dir}/${e}`, source: readFileSync(posix.join(ROOT, dir, e), "utf8") }));
}

describe("dependency rule (docs/architecture.md)", () => {
  it("scans the real tree: every .ts file under core/, policies/, gateway/, client/, compat/", () => {
    const files = SCANNED.flatMap(filesUnder);
    // The scan is not vacuous: core/ is there and has its imports.
    const core = files.filter((f) => f.path.startsWith("core/"));
    expect(core.length).toBeGreaterThanOrEqual(20);
    expect(core.flatMap((f) => scan(f.path, f.source)).filter((h) => h.kind === "import").length).toBeGreaterThanOrEqual(20);
    expect(violations(files)).toEqual([]);
  });

  it("self-check: finds every kind of import and clock read in a synthetic bad tree", () => {
    const bad: SourceFile[] = [
      {
        path: "core/token/bad.ts",
        source: [
          'import { WebSocket } from "ws";', // 1
          "import type { Config } from '../../gateway/config.js';", // 2
          "import {", // 3
          "  rule,", // 4
          '} from "../../policies/rule.js";', // 5
          'export * from "../../client/sdk.js";', // 6
          'export * as z from "zod";', // 7
          'import "express";', // 8
          'const redis = await import("ioredis/built/index.js");', // 9
          'const jose = require("jose");', // 10
          'import pc = require("prom-client");', // 11
          'type L = import("pino").Logger;', // 12
          "// Date.now() and new Date() in a comment are fine", // 13
          'const s = "Date.now( in a string is fine too";', // 14
          "export const t = Date.now();", // 15
          "export const d = new Date(0);", // 16
          "export const g = globalThis.Date.now();", // 17
          'import { createHmac } from "node:crypto";', // 18
          'import { ok } from "./sibling.js";', // 19
          'import { other } from "some-allowed-package";', // 20
        ].join("\n"),
      },
      {
        path: "policies/bad.ts",
        source: [
          'import { x } from "../core/errors.js";', // 1: fine
          'import { y } from "./sibling.js";', // 2: fine
          'import { z } from "node:crypto";', // 3: fine
          'import { g } from "../gateway/config.js";', // 4
          'import { c } from "crypto";', // 5: a builtin without node:
          'import { s } from "zod";', // 6
          "const now = new Date();", // 7
        ].join("\n"),
      },
      {
        path: "client/bad.ts",
        source: ['import { w } from "../core/protocol/wire.js";', 'import { s } from "../gateway/ws/server.js";', 'import { p } from "../policies/index.js";', "const ok = Date.now();"].join("\n"),
      },
      {
        // The embedding file may import gateway/main.ts, and nothing else of gateway/ or policies/.
        path: "client/testing.ts",
        source: ['import { startGateway } from "../gateway/main.js";', 'import { SimulatedClock } from "../gateway/clock/simulated-clock.js";', 'import { p } from "../policies/index.js";'].join("\n"),
      },
      {
        // Any other client/ file may not import gateway/main.ts.
        path: "client/other.ts",
        source: 'import { startGateway } from "../gateway/main.js";',
      },
      { path: "gateway/main.ts", source: 'import { WebSocketServer } from "ws";\nimport { p } from "../policies/index.js";\nconst t = Date.now();' },
      {
        path: "compat/bad.ts",
        source: ['import { c } from "../client/rtm-client.js";', 'import { g } from "../gateway/main.js";', 'import { EventEmitter } from "node:events";', 'import { WebSocket } from "ws";', "const t = Date.now();"].join("\n"),
      },
      // The Node-only hook may use node: builtins, and nothing else more than the rest of compat/.
      { path: "compat/register.ts", source: 'import { register } from "node:module";\nimport { p } from "../policies/index.js";' },
    ];
    expect(violations(bad)).toEqual([
      'core/token/bad.ts:1: core/ imports the package "ws"',
      'core/token/bad.ts:2: core/ imports gateway/ ("../../gateway/config.js")',
      'core/token/bad.ts:5: core/ imports policies/ ("../../policies/rule.js")',
      'core/token/bad.ts:6: core/ imports client/ ("../../client/sdk.js")',
      'core/token/bad.ts:7: core/ imports the package "zod"',
      'core/token/bad.ts:8: core/ imports the package "express"',
      'core/token/bad.ts:9: core/ imports the package "ioredis"',
      'core/token/bad.ts:10: core/ imports the package "jose"',
      'core/token/bad.ts:11: core/ imports the package "prom-client"',
      'core/token/bad.ts:12: core/ imports the package "pino"',
      "core/token/bad.ts:15: core/ reads the system clock (Date.now(); inject a Clock",
      "core/token/bad.ts:16: core/ reads the system clock (new Date(); inject a Clock",
      "core/token/bad.ts:17: core/ reads the system clock (Date.now(); inject a Clock",
      'policies/bad.ts:4: policies/ imports gateway/ ("../gateway/config.js")',
      'policies/bad.ts:5: policies/ imports the package "crypto" (only core/ and node: builtins)',
      'policies/bad.ts:6: policies/ imports the package "zod" (only core/ and node: builtins)',
      "policies/bad.ts:7: policies/ reads the system clock (new Date(); inject a Clock",
      'client/bad.ts:2: client/ imports gateway/ ("../gateway/ws/server.js")',
      'client/bad.ts:3: client/ imports policies/ ("../policies/index.js")',
      'client/testing.ts:2: client/ imports gateway/ ("../gateway/clock/simulated-clock.js")',
      'client/testing.ts:3: client/ imports policies/ ("../policies/index.js")',
      'client/other.ts:1: client/ imports gateway/ ("../gateway/main.js")',
      'compat/bad.ts:2: compat/ imports gateway/ ("../gateway/main.js")',
      'compat/bad.ts:3: compat/ imports a node: builtin ("node:events"): it must run in a browser',
      'compat/bad.ts:4: compat/ imports the package "ws" (only client/ and core/)',
      'compat/register.ts:2: compat/ imports policies/ ("../policies/index.js")',
    ]);
  });

  it("self-check: a clean synthetic tree has no violations", () => {
    const good: SourceFile[] = [
      { path: "core/a.ts", source: 'import { createHash } from "node:crypto";\nimport type { B } from "./b.js";\nexport const now = (c: { nowSeconds(): number }) => c.nowSeconds();' },
      { path: "policies/p.ts", source: 'import type { A } from "../core/a.js";\nexport * from "./q.js";' },
      { path: "client/c.ts", source: 'import { W } from "../core/protocol/wire.js";\nimport WebSocket from "ws";' },
    ];
    expect(violations(good)).toEqual([]);
  });
});
