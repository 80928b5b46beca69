/**
 * `rtm-auth migrate rehearse --plan P --population F`: a staged rollout rehearsed against a client
 * population on a manual clock (docs/rehearsal.md). Prints the timeline and the verdict, or one
 * JSON object (`--json`); writes an HTML report with the refusal rate per cohort over simulated
 * time (`--html FILE`). Exit 0 when the rehearsal ran (whatever its outcome), 1 when a gateway
 * refused it, 2 on a usage error (a bad option, plan or population file).
 */
import { accessSync, constants, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { loadPopulation, PopulationError } from "../../client/load/population.js";
import { PROFILES, type Profile } from "../../core/protocol/wire.js";
// The rehearsal and its report load the whole gateway: imported once the arguments are checked, so
// that a usage error, --help included, answers as fast as the other commands do.
import type { RehearsalOptions, RehearsalResult } from "../migration/rehearsal.js";
import { EXIT, parseArgsMessage, parseCliArgs, usageError, type CliIo } from "./cli-io.js";
import { PlanFileError, readPlanFile } from "./plan-file.js";

export const REHEARSE_HELP = `Usage: rtm-auth migrate rehearse --plan PLAN.json --population POPULATION.json [options]

Rehearses a staged rollout (docs/rollouts.md) against a client population (docs/population.md) on a
manual clock: each step moves the simulated clock, lets the population log in, renew and log out, and
has the rollout judged. Prints the timeline (stages, guard trips, rollbacks) and the verdict.

  --plan FILE           the rollout plan (the body of PUT /admin/projects/:appId/rollout)
  --population FILE     the client population (cohorts with shares)
  --step D              simulated time per step (default 30m; s, m, h, d units, e.g. 10m, 1h). Keep it shorter
                        than the tokens of clients that hold sessions, or they expire between steps (warned)
  --logins-per-step N   new client logins per step (default 100)
  --max-duration D      the longest simulated run (default: twice the plan's stage times + 2d)
  --seed N              seed of the population's draws (default 1): the same seed, the same run
  --profile P           rtm2 (default) or rtm1
  --no-confirm          do not confirm the final step for the plan (the run ends at the last stage)
  --gateway URL         rehearse against running gateways (repeatable; http://HOST:PORT each, sharing one
                        store) instead of a gateway of its own; needs --app-id (the final step is real
                        there); their clocks are moved, and stay frozen afterwards
  --app-id A            the project (default: the dev seed's migration project, in the rehearsal's own
                        gateway; with --gateway required, and created in the migration window when absent)
  --admin-token T       bearer JWT for the gateways' admin API (or RTM_AUTH_ADMIN_TOKEN)
  --json                print one JSON object (outcome, rollbacks, timeline, verdict, series, …)
  --html FILE           write an HTML report: refusal rate per cohort over simulated time, stages, timeline
  --quiet               no progress on stderr

Exit: 0 the rehearsal ran (any outcome), 1 a gateway refused it, 2 a usage error.
`;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `read()`'s result; a plan or population file problem comes back as a UsageError starting with `option`. */
function withOption<T>(option: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof PlanFileError || err instanceof PopulationError) throw new UsageError(`${option} ${err.message}`);
    throw err;
  }
}

/** Simulated seconds for `30m`, `6h`, `7d`, `90` (seconds); throws a usage message naming `option`. */
export function parseSimulatedDuration(text: string, option: string): number {
  // A sign is taken so that a negative step is told it must be at least 1 s, not that it is no duration.
  const m = /^\s*(-?[0-9]*\.?[0-9]+)\s*([smhd])?\s*$/.exec(text);
  if (m === null) throw new UsageError(`${option}: ${JSON.stringify(text)} is not a duration (e.g. 30m, 6h, 7d)`);
  const s = Math.round(Number(m[1]) * (UNIT_SECONDS[m[2] ?? "s"] ?? 1));
  if (!Number.isFinite(s) || s < 1) throw new UsageError(`${option}: ${JSON.stringify(text)} must be at least 1 s`);
  return s;
}

class UsageError extends Error {}

function int(raw: string | undefined, option: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(v) || v < min || v > max) throw new UsageError(`${option} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return v;
}

/** The text report: the timeline and the verdict. */
export function formatRehearsal(r: RehearsalResult): string {
  const lines: string[] = [];
  const at = (s: number): string => {
    const d = Math.floor(s / 86_400);
    const h = Math.floor((s % 86_400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    return `+${d}d${String(h).padStart(2, "0")}h${String(m).padStart(2, "0")}m`;
  };
  const stage = (i: number, name: string | null): string => (i < 0 ? "(none)" : `${i + 1}/${r.plan.stages.length} "${name ?? ""}"`);
  const simDays = Math.round((r.simulatedSeconds / 86_400) * 100) / 100;
  lines.push(`rehearsal: ${r.steps} ${r.steps === 1 ? "step" : "steps"} of ${r.stepSeconds} s, ${simDays} simulated ${simDays === 1 ? "day" : "days"} in ${(r.wallMs / 1000).toFixed(1)} s`);
  lines.push("");
  lines.push("timeline:");
  for (const t of r.timeline) {
    const move = t.fromStage === t.toStage ? `at ${stage(t.toStage, t.toStageName)}` : `${stage(t.fromStage, t.fromStageName)} -> ${stage(t.toStage, t.toStageName)}`;
    lines.push(`  ${at(t.elapsed).padEnd(12)} ${t.cause.padEnd(22)} ${move}  [${t.status}]${t.note === undefined ? "" : `  ${t.note}`}`);
  }
  lines.push("");
  lines.push("cohorts (whole run):");
  for (const [name, c] of Object.entries(r.cohorts)) {
    const reasons = Object.entries(c.byReason)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    lines.push(`  ${name.padEnd(16)} share ${String(c.share).padEnd(5)} logins ${String(c.logins).padStart(6)}  refused ${String(c.refused).padStart(6)} (${c.refusalPercent ?? 0} %)${reasons === "" ? "" : `  ${reasons}`}${c.skipped === 0 ? "" : `  skipped ${c.skipped}`}`);
  }
  lines.push("");
  lines.push(`outcome: ${r.outcome}, rollbacks: ${r.rollbacks}`);
  lines.push(`verdict: ${r.verdict}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

export async function runRehearseCommand(args: string[], io: CliIo): Promise<number> {
  let options: RehearsalOptions;
  let json = false;
  let html: string | undefined;
  try {
    const { values } = parseCliArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        plan: { type: "string" },
        population: { type: "string" },
        step: { type: "string" },
        "logins-per-step": { type: "string" },
        "max-duration": { type: "string" },
        seed: { type: "string" },
        profile: { type: "string" },
        "no-confirm": { type: "boolean" },
        gateway: { type: "string", multiple: true },
        "app-id": { type: "string" },
        "admin-token": { type: "string" },
        json: { type: "boolean" },
        html: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help === true) {
      io.out(REHEARSE_HELP);
      return EXIT.ok;
    }
    const { plan: planFile, population: populationFile } = values;
    if (planFile === undefined || populationFile === undefined) throw new UsageError("--plan and --population are required");
    // Each file's problem is named by its option: the two are easily swapped or mistyped.
    const plan = withOption("--plan", () => readPlanFile(planFile));
    const population = withOption("--population", () => loadPopulation(populationFile));
    const profile = values.profile ?? "rtm2";
    if (!(PROFILES as readonly string[]).includes(profile)) throw new UsageError(`--profile must be one of ${PROFILES.join(", ")}`);
    const adminToken = values["admin-token"] ?? process.env.RTM_AUTH_ADMIN_TOKEN;
    const targets = (values.gateway ?? []).map((url) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        throw new UsageError(`--gateway ${JSON.stringify(url)} is not a URL (http://HOST:PORT)`);
      }
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`--gateway ${JSON.stringify(url)} must be http://HOST:PORT`);
      return { url: u.origin, ...(adminToken === undefined ? {} : { adminToken }) };
    });
    const appId = values["app-id"];
    if (appId !== undefined && !/^[0-9a-fA-F]{32}$/.test(appId)) throw new UsageError("--app-id must be 32 hexadecimal characters");
    // The final step is real on running gateways: they never get the dev seed's project by default.
    if (targets.length > 0 && appId === undefined) throw new UsageError("--gateway needs --app-id: the final step is real on those gateways, so name the (staging) project to rehearse on");
    json = values.json === true;
    html = values.html;
    // A report that cannot be written is said now, not after the whole run.
    if (html !== undefined) {
      try {
        accessSync(dirname(resolve(html)), constants.W_OK);
      } catch {
        throw new UsageError(`--html ${html}: its folder does not exist or cannot be written`);
      }
    }
    const quiet = values.quiet === true || json;
    options = {
      plan,
      population,
      seed: int(values.seed, "--seed", 1, 0, 2 ** 31 - 1),
      ...(values.step === undefined ? {} : { stepSeconds: parseSimulatedDuration(values.step, "--step") }),
      loginsPerStep: int(values["logins-per-step"], "--logins-per-step", 100, 0, 100_000),
      ...(values["max-duration"] === undefined ? {} : { maxSeconds: parseSimulatedDuration(values["max-duration"], "--max-duration") }),
      profile: profile as Profile,
      confirmFinalStep: values["no-confirm"] !== true,
      ...(targets.length === 0 ? {} : { targets }),
      ...(appId === undefined ? {} : { appId: appId.toLowerCase() }),
      ...(quiet || process.stderr.isTTY !== true
        ? {}
        : {
            onStep: (p) => process.stderr.write(`\r  day ${(p.elapsed / 86_400).toFixed(2)}  stage ${p.stage + 1} ${p.stageName ?? ""}  ${p.status}        `),
          }),
    };
  } catch (err) {
    if (err instanceof UsageError || err instanceof PopulationError || err instanceof PlanFileError) return usageError(io, "migrate rehearse", err.message);
    if (err instanceof Error && "code" in err && typeof (err as { code: unknown }).code === "string" && (err as { code: string }).code.startsWith("ERR_PARSE_ARGS")) {
      return usageError(io, "migrate rehearse", parseArgsMessage(err));
    }
    throw err;
  }
  const { rehearse, RehearsalError } = await import("../migration/rehearsal.js");
  let result: RehearsalResult;
  try {
    result = await rehearse(options);
  } catch (err) {
    if (err instanceof RehearsalError) {
      io.err(`rtm-auth migrate rehearse: ${err.message}\n`);
      return EXIT.negative;
    }
    throw err;
  }
  if (options.onStep !== undefined) process.stderr.write("\n");
  if (html !== undefined) writeFileSync(html, (await import("../migration/rehearsal-html.js")).renderRehearsalHtml(result));
  io.out(`${json ? JSON.stringify(result) : formatRehearsal(result) + (html === undefined ? "" : `\nreport: ${html}`)}\n`);
  return EXIT.ok;
}
