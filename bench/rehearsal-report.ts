/**
 * `npm run docs:rehearsal`: makes the README's rehearsal pictures from a real run. Rehearses the
 * example plan (docs/examples/rollout-token-only.json) against the example mid-migration population
 * (docs/examples/population-migration.json), writes its HTML report to
 * docs/examples/rehearsal-report.html and a screenshot of it to docs/images/rehearsal-report.png
 * (headless Chromium through playwright-core: CHROMIUM_PATH, default /usr/bin/chromium), and prints
 * the text report as `rtm-auth migrate rehearse` does.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { loadPopulation } from "../client/load/population.js";
import { formatRehearsal } from "../gateway/cli/rehearse-command.js";
import { renderRehearsalHtml } from "../gateway/migration/rehearsal-html.js";
import { rehearse } from "../gateway/migration/rehearsal.js";
import { parseRolloutPlan } from "../gateway/migration/rollout-schema.js";

const ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../" : "../", import.meta.url));
const at = (p: string): string => join(ROOT, p);

const plan = parseRolloutPlan(JSON.parse(readFileSync(at("docs/examples/rollout-token-only.json"), "utf8")));
const population = loadPopulation(at("docs/examples/population-migration.json"));
const result = await rehearse({ plan, population, seed: 1 });
console.log(formatRehearsal(result));

const html = at("docs/examples/rehearsal-report.html");
writeFileSync(html, renderRehearsalHtml(result));
mkdirSync(at("docs/images"), { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "rtm-rehearsal-shot-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1024, height: 900 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await context.newPage();
  await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
  await page.screenshot({ path: at("docs/images/rehearsal-report.png"), fullPage: false });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`\nwrote docs/examples/rehearsal-report.html and docs/images/rehearsal-report.png`);
