/**
 * The console (docs/console.md): the browser UI served at `/console` on the gateway's port.
 *
 * What is served here is static and holds no data: the page (`/console/`), the console's own ES
 * modules and stylesheet (`/console/app/<name>.js|.css`, from `gateway/console/static/`), the browser
 * builds of its libraries (`/console/vendor/…`, from node_modules: Preact, htm, uPlot) and
 * `/console/meta.json` (the closed lists the forms offer: reasons, fault ops, rollout actions). So
 * these routes need no admin auth. Every figure the page shows comes from the admin API (`/admin/…`),
 * called by the page with `fetch` and, in JWT mode, an `Authorization: Bearer` header: the admin
 * API's own rules apply to each call (docs/admin-api-security.md). The page sets no cookie and reads
 * none, so there is no CSRF surface.
 *
 * Every reply carries a strict Content-Security-Policy ({@link consoleCsp}): scripts only from this
 * origin plus the page's one inline import map, allowed by its SHA-256 hash (no other inline script,
 * no `eval`); styles only from this origin; `connect-src 'self'`; no framing (`frame-ancestors
 * 'none'`, and `X-Frame-Options: DENY` for older browsers); and `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy` and `Cross-Origin-Resource-Policy:
 * same-origin`.
 *
 * Files are read on first request and kept in memory (a fixed set: the names allowed are the files
 * of `static/` matching {@link APP_FILE} and the {@link VENDOR_FILES} table, about 250 KiB in all), so
 * with the console closed nothing is read and nothing runs. Any other path under `/console` is a 404.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Response, type Router } from "express";
import { REASONS } from "../../core/errors.js";
import { FAULT_ACTION_TYPES, FAULT_OPS, MAX_FAULT_DELAY_MS } from "../../core/fault/fault-rule.js";
import { PROFILES } from "../../core/protocol/wire.js";
import { FINAL_STEPS, ROLLOUT_ACTIONS } from "../../core/rollout/rollout.js";
import { JOURNAL_OPS, JOURNAL_RESULTS } from "../admin/journal.js";

/** Where the console is mounted on the gateway's HTTP app. */
export const CONSOLE_PATH = "/console";

/** The names `/console/app/<name>` may take: lowercase words, `.js` or `.css`. */
export const APP_FILE = /^[a-z][a-z0-9-]{0,40}\.(js|css)$/;

/** The libraries' browser builds: URL name → path under node_modules. */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  "preact.mjs": "preact/dist/preact.mjs",
  "preact-hooks.mjs": "preact/hooks/dist/hooks.mjs",
  "htm.mjs": "htm/dist/htm.mjs",
  "uplot.mjs": "uplot/dist/uPlot.esm.js",
  "uplot.css": "uplot/dist/uPlot.min.css",
};

/** The page's import map: the bare names the console's modules import, and where they are served. */
export const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: `${CONSOLE_PATH}/vendor/preact.mjs`,
    "preact/hooks": `${CONSOLE_PATH}/vendor/preact-hooks.mjs`,
    htm: `${CONSOLE_PATH}/vendor/htm.mjs`,
    uplot: `${CONSOLE_PATH}/vendor/uplot.mjs`,
  },
});

/** The CSP hash source of the inline import map, e.g. `'sha256-…'`. */
export const IMPORT_MAP_HASH = `'sha256-${createHash("sha256").update(IMPORT_MAP).digest("base64")}'`;

/** The Content-Security-Policy of every `/console` reply. */
export function consoleCsp(): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${IMPORT_MAP_HASH}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The page itself: no data, one inline import map (hashed in the CSP), one module script. */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rtm-auth console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${CONSOLE_PATH}/vendor/uplot.css">
<link rel="stylesheet" href="${CONSOLE_PATH}/app/console.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="${CONSOLE_PATH}/app/app.js"></script>
</head>
<body>
<div id="app"><noscript>The rtm-auth console needs JavaScript. The same calls are in the admin API: GET /admin/openapi.json.</noscript></div>
</body>
</html>
`;

/** The closed lists the console's forms offer (`GET /console/meta.json`): constants of the code, no data. */
export const CONSOLE_META = JSON.stringify({
  reasons: REASONS,
  failureReasons: REASONS.filter((r) => r !== "ok"),
  profiles: PROFILES,
  faultOps: FAULT_OPS,
  faultActions: FAULT_ACTION_TYPES,
  maxFaultDelayMs: MAX_FAULT_DELAY_MS,
  journalOps: JOURNAL_OPS,
  journalResults: JOURNAL_RESULTS,
  rolloutActions: ROLLOUT_ACTIONS,
  finalSteps: FINAL_STEPS,
});

const TYPES: Readonly<Record<string, string>> = {
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** The console's own static files: `static/` beside this file, in the tree and in dist/ (gateway/console/static). */
function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, "static"), join(here, "../../../gateway/console/static")]) {
    if (existsSync(join(candidate, "app.js"))) return candidate;
  }
  throw new Error(`the console's static files are missing (looked beside ${here})`);
}

/** The node_modules directory holding `rel`, searched upwards from this file. */
function vendorPath(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node_modules", rel);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`the console library file ${rel} is missing: run npm ci`);
    dir = up;
  }
}

/** Sets the security headers every console reply carries. */
function secure(res: Response): void {
  res.setHeader("content-security-policy", consoleCsp());
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("cross-origin-opener-policy", "same-origin");
  res.setHeader("cross-origin-resource-policy", "same-origin");
  res.setHeader("cache-control", "no-cache");
}

/**
 * The router mounted at {@link CONSOLE_PATH}: GET and HEAD of the page, the app files, the vendor
 * files and meta.json; 404 `not_found` for anything else under `/console`. File read errors are
 * passed to express (500 from the app's error serialiser).
 */
export function createConsoleRouter(): Router {
  const router = express.Router({ strict: false });
  /** Bounded: at most the files of `static/` matching APP_FILE plus the VENDOR_FILES entries. */
  const cache = new Map<string, Buffer>();
  let dir: string | null = null;

  const send = (res: Response, type: string, body: string | Buffer): void => {
    secure(res);
    res.setHeader("content-type", type);
    res.send(body);
  };
  const cached = async (key: string, path: () => string): Promise<Buffer> => {
    let body = cache.get(key);
    if (body === undefined) {
      body = await readFile(path());
      cache.set(key, body);
    }
    return body;
  };

  router.get("/", (_req, res) => send(res, "text/html; charset=utf-8", CONSOLE_HTML));
  router.get("/meta.json", (_req, res) => send(res, "application/json; charset=utf-8", CONSOLE_META));
  router.get("/app/:name", async (req, res, next) => {
    const name = req.params.name;
    const ext = name.split(".").pop() ?? "";
    if (!APP_FILE.test(name)) return next();
    dir ??= staticDir();
    const root = dir;
    if (!cache.has(`app/${name}`) && !existsSync(join(root, name))) return next();
    send(res, TYPES[ext] ?? "application/octet-stream", await cached(`app/${name}`, () => join(root, name)));
  });
  router.get("/vendor/:name", async (req, res, next) => {
    const rel = VENDOR_FILES[req.params.name];
    if (rel === undefined || !Object.hasOwn(VENDOR_FILES, req.params.name)) return next();
    const ext = req.params.name.split(".").pop() ?? "";
    send(res, TYPES[ext] ?? "application/octet-stream", await cached(`vendor/${req.params.name}`, () => vendorPath(rel)));
  });
  router.use((_req, res) => {
    secure(res);
    res.status(404).json({ error: { code: "not_found", message: "no such console file" } });
  });
  return router;
}
