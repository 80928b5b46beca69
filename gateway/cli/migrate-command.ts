/**
 * `rtm-auth migrate status|plan|advance|pause|resume|rollback|abort|rehearse`: a project's staged
 * rollout (docs/rollouts.md) through a running gateway's admin API, with the typed admin client.
 * `status` prints a summary (or the RolloutView with `--json`); `plan` validates a plan file
 * locally, naming the file and the JSON path of each problem, then puts it; the actions print the
 * rollout after them. Exit 0 done, 1 the gateway refused (its code and message are printed) or
 * could not be reached, 2 a usage error (a bad plan file included).
 */
import { AdminApiError, createAdminClient, type AdminClient, type RolloutView } from "../../client/admin-client.js";
import { FINAL_STEPS, type Cohort, type FinalStep, type RolloutAction, type RolloutPlan } from "../../core/rollout/rollout.js";
import { EXIT, parseArgsMessage, parseCliArgs, usageError, type CliIo } from "./cli-io.js";
import { PlanFileError, readPlanFile } from "./plan-file.js";

export const MIGRATE_HELP = `Usage: rtm-auth migrate <subcommand> --admin-url http://HOST:PORT --app-id A [options]

A project's staged rollout (docs/rollouts.md) on a running gateway:
  status                  where the rollout stands: status, stage i/n with its name and cohort, time left on
                          the stage (simulated clock), each guard's figures, whether the final step awaits
                          confirmation, and the last transitions
  plan --plan FILE        validate FILE (the plan, JSON) here, then put it: the rollout starts at its first stage
       --validate-only    only validate FILE (also --dry-check); no gateway needed
  advance [--confirm S]   to the next stage; from the last stage, the real step that cannot be undone, which
                          needs --confirm with the plan's final step (delete_no_certificate | delete_secondary)
  pause                   nothing advances by itself (guards still roll back)
  resume                  a paused or rolled-back rollout runs again at its stage
  rollback                to the previous stage (stops advancing until resume or advance)
  abort                   no cohort any more; the rollout is over
  rehearse                rehearse a plan against a client population (rtm-auth migrate rehearse --help)

Options:
  --admin-url U    the gateway's HTTP base (http://HOST:PORT; a trailing /admin is accepted)
  --app-id A       the project
  --admin-token T  bearer JWT for an admin API that requires one (or RTM_AUTH_ADMIN_TOKEN)
  --history N      transitions shown by the summary (default 5)
  --revision N     advance, pause, resume, rollback, abort: act only if the rollout is still at revision N
                   (as 'status' showed it); otherwise refused with revision_mismatch
  --json           print the rollout (RolloutView) as JSON instead of the summary

Exit: 0 done, 1 the gateway refused (its error code and message are printed) or could not be reached,
2 a usage error (a plan file that does not validate included).
`;

const SUBCOMMANDS = ["status", "plan", "advance", "pause", "resume", "rollback", "abort"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

class UsageError extends Error {}

function cohortText(c: Cohort): string {
  return "percent" in c ? `${c.percent} % of uids by stable hash` : `uids matching ${c.uidPattern}`;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** `3d 4h`, `2h 5m`, `45s`. */
export function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** The readable summary of a rollout (`migrate status`, and after every other subcommand). */
export function formatRollout(v: RolloutView, historyLines = 5): string {
  const n = v.plan.stages.length;
  const lines: string[] = [];
  const stage = v.stage >= 0 ? v.plan.stages[v.stage] : undefined;
  const where = stage === undefined ? "no stage applied" : `stage ${v.stage + 1}/${n} "${stage.name}" (${cohortText(stage.cohort)})`;
  lines.push(`rollout of ${v.appId}: ${v.status}, ${where}`);
  const target = v.plan.target.target === "token_only" ? "token_only" : `delete_certificate ${v.plan.target.slot}`;
  lines.push(`  target ${target}; final step ${v.finalStep ?? "none"}${v.plan.confirm === undefined ? " (not confirmed in the plan)" : " (confirmed in the plan)"}; advance ${v.plan.advance}`);
  if (stage !== undefined && v.stageMinUntil !== null) {
    const left = v.stageMinUntil - v.now;
    lines.push(`  stage time: ${left > 0 ? `${span(left)} left` : "passed"} (minimum ${span(stage.minSeconds)}, until ${iso(v.stageMinUntil)} on the simulated clock, now ${iso(v.now)})`);
  }
  if (v.guards.length > 0) {
    lines.push("  guards:");
    for (const g of v.guards) {
      const state = g.tripped ? "TRIPPED" : g.holds ? "holds" : `waiting for ${g.minLogins} decisions`;
      lines.push(`    ${g.reason} <= ${g.maxPercent} % of ${g.op} over >= ${g.minLogins}: ${g.refused} of ${g.decisions} refused (${g.percent} %), ${state}`);
    }
  } else if (stage !== undefined) {
    lines.push("  guards: none");
  }
  if (v.counts === null && stage !== undefined) lines.push("  counts: could not be read");
  if (v.counts !== null && stage !== undefined) {
    // Every refusal of the stage's cohort, whatever the guards watch: a guard on one reason says nothing of the others.
    const reasons = (o: { refused: Readonly<Record<string, number>> }): string[] => Object.entries(o.refused).map(([k, x]) => `${k} ${x}`);
    const login = reasons(v.counts.login);
    const renew = reasons(v.counts.renewToken);
    lines.push(`  cohort this stage: ${v.counts.login.decisions} logins${login.length === 0 ? "" : ` (refused: ${login.join(", ")})`}, ${v.counts.renewToken.decisions} renewals${renew.length === 0 ? "" : ` (refused: ${renew.join(", ")})`}`);
  }
  if (v.status === "running" && !v.awaitingConfirmation && stage !== undefined && v.stageMinUntil !== null && v.stageMinUntil <= v.now && v.guards.some((g) => !g.holds && !g.tripped)) {
    lines.push("  not advancing yet: the stage time has passed, but a guard has not seen its minimum of decisions");
  }
  if (v.status === "rolled_back") lines.push("  rolled back: nothing advances by itself; `migrate resume` runs this stage again, `migrate advance` goes on");
  if (v.status === "paused") lines.push("  paused: nothing advances by itself (guards still roll back); `migrate resume` to continue");
  if (v.awaitingConfirmation) lines.push(`  awaiting confirmation: rtm-auth migrate advance --confirm ${v.finalStep ?? ""}`);
  lines.push(`  revision ${v.revision}, started ${iso(v.startedAt)}, updated ${iso(v.updatedAt)}`);
  const last = v.history.slice(Math.max(0, v.history.length - historyLines));
  if (last.length > 0) {
    lines.push(last.length === v.history.length ? `  transitions:` : `  the last ${last.length} of ${v.history.length} transitions (--history N for more):`);
    const stageName = (i: number): string => (i < 0 ? "-" : `${i + 1}`);
    for (const t of last) {
      const move = t.fromStage === t.toStage ? `at ${stageName(t.toStage)}` : `${stageName(t.fromStage)} -> ${stageName(t.toStage)}`;
      lines.push(`    ${iso(t.at)}  ${t.cause.padEnd(21)} ${move.padEnd(8)} ${t.status.padEnd(11)} by ${t.by}${t.note === undefined ? "" : `: ${t.note}`}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

interface Options {
  readonly sub: Subcommand;
  readonly adminUrl: string | undefined;
  readonly appId: string | undefined;
  readonly bearer: string | undefined;
  readonly plan: string | undefined;
  readonly validateOnly: boolean;
  readonly confirm: FinalStep | undefined;
  readonly revision: number | undefined;
  readonly history: number;
  readonly json: boolean;
}

function parse(sub: Subcommand, args: string[]): Options | "help" {
  let values;
  try {
    values = parseCliArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        "admin-url": { type: "string" },
        "app-id": { type: "string" },
        "admin-token": { type: "string" },
        plan: { type: "string" },
        "validate-only": { type: "boolean" },
        "dry-check": { type: "boolean" },
        confirm: { type: "string" },
        revision: { type: "string" },
        history: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
  if (values.help) return "help";
  const validateOnly = values["validate-only"] === true || values["dry-check"] === true;
  if (sub !== "plan" && (values.plan !== undefined || validateOnly)) throw new UsageError("--plan, --validate-only and --dry-check belong to 'plan'");
  if (sub === "plan" && values.plan === undefined) throw new UsageError("plan needs --plan FILE");
  if (sub !== "advance" && values.confirm !== undefined) throw new UsageError("--confirm belongs to 'advance'");
  const confirm = values.confirm;
  if (confirm !== undefined && !(FINAL_STEPS as readonly string[]).includes(confirm)) throw new UsageError(`--confirm must be ${FINAL_STEPS.join(" or ")}`);
  if (!validateOnly) {
    const missing = (["admin-url", "app-id"] as const).filter((k) => values[k] === undefined);
    if (missing.length > 0) throw new UsageError(`missing --${missing.join(", --")}`);
    if (!/^[0-9a-fA-F]{32}$/.test(values["app-id"] as string)) {
      throw new UsageError(`--app-id must be an App ID, 32 hexadecimal characters (as the project was created), got ${JSON.stringify(values["app-id"])}`);
    }
    let url: URL;
    try {
      url = new URL(values["admin-url"] as string);
    } catch {
      throw new UsageError(`--admin-url must be a URL such as http://127.0.0.1:8080, got ${JSON.stringify(values["admin-url"])}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("--admin-url must be http:// or https://");
  }
  let revision: number | undefined;
  if (values.revision !== undefined) {
    if (sub === "status" || sub === "plan") throw new UsageError("--revision belongs to the actions (advance, pause, resume, rollback, abort)");
    revision = Number(values.revision);
    if (values.revision.trim() === "" || !Number.isSafeInteger(revision) || revision < 0) throw new UsageError(`--revision must be a non-negative integer, got ${JSON.stringify(values.revision)}`);
  }
  let history = 5;
  if (values.history !== undefined) {
    history = Number(values.history);
    if (values.history.trim() === "" || !Number.isInteger(history) || history < 0 || history > 100) throw new UsageError(`--history must be an integer in [0, 100], got ${JSON.stringify(values.history)}`);
  }
  return {
    sub,
    adminUrl: values["admin-url"],
    appId: values["app-id"],
    bearer: values["admin-token"] ?? process.env.RTM_AUTH_ADMIN_TOKEN,
    plan: values.plan,
    validateOnly,
    confirm: confirm as FinalStep | undefined,
    revision,
    history,
    json: values.json === true,
  };
}

async function run(o: Options, io: CliIo): Promise<number> {
  const plan = o.plan === undefined ? undefined : readPlanFile(o.plan);
  if (o.validateOnly && plan !== undefined) {
    if (o.json) io.out(`${JSON.stringify({ valid: true, plan })}\n`);
    else io.out(`${o.plan}: a valid plan: ${plan.stages.length} stage${plan.stages.length === 1 ? "" : "s"} (${plan.stages.map((s) => s.name).join(", ")}), final step ${plan.target.target === "token_only" ? "delete_no_certificate" : `delete_${plan.target.slot}`}\n`);
    return EXIT.ok;
  }
  const admin: AdminClient = createAdminClient(o.adminUrl as string, o.bearer === undefined ? {} : { bearer: o.bearer });
  const appId = o.appId as string;
  let view: RolloutView;
  try {
    if (o.sub === "status") view = await admin.migration.rollout.get(appId);
    else if (o.sub === "plan") view = await admin.migration.rollout.put(appId, plan as RolloutPlan);
    else view = await admin.migration.rollout.act(appId, o.sub as RolloutAction, { ...(o.confirm === undefined ? {} : { confirm: o.confirm }), ...(o.revision === undefined ? {} : { revision: o.revision }) });
  } catch (err) {
    if (err instanceof AdminApiError) {
      if (o.json) io.out(`${JSON.stringify({ error: { status: err.status, code: err.code, message: err.message } })}\n`);
      // A CLI user's remedy for 401 is a flag, not a header.
      const hint = err.status === 401 ? `\n  pass an admin JWT: --admin-token "$(npx rtm-auth admin-token)" (with the gateway's ADMIN_JWT_SECRET set here), or RTM_AUTH_ADMIN_TOKEN` : "";
      io.err(`rtm-auth migrate ${o.sub}: refused: ${err.code} (HTTP ${err.status}): ${err.message}${hint}\n`);
      return EXIT.negative;
    }
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    io.err(`rtm-auth migrate ${o.sub}: the gateway at ${o.adminUrl} could not be reached${cause === undefined ? `: ${(err as Error).message}` : ` (${cause})`}\n`);
    return EXIT.negative;
  }
  io.out(o.json ? `${JSON.stringify(view)}\n` : formatRollout(view, o.history));
  return EXIT.ok;
}

/** `rtm-auth migrate …`. */
export async function runMigrateCommand(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.err(`rtm-auth migrate: missing subcommand (${[...SUBCOMMANDS, "rehearse"].join(", ")}); see 'rtm-auth migrate --help'\n`);
    return EXIT.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(MIGRATE_HELP);
    return EXIT.ok;
  }
  // REHEARSE DISPATCH: `rehearse` lives in its own command file (gateway/cli/rehearse-command.ts).
  if (name === "rehearse") return (await import("./rehearse-command.js")).runRehearseCommand(rest, io);
  if (!(SUBCOMMANDS as readonly string[]).includes(name)) {
    io.err(`rtm-auth migrate: unknown subcommand '${name}' (expected ${[...SUBCOMMANDS, "rehearse"].join(", ")}); see 'rtm-auth migrate --help'\n`);
    return EXIT.usage;
  }
  try {
    const o = parse(name as Subcommand, rest);
    if (o === "help") {
      io.out(MIGRATE_HELP);
      return EXIT.ok;
    }
    return await run(o, io);
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof PlanFileError)) throw err;
    return usageError(io, `migrate ${name}`, err.message);
  }
}
