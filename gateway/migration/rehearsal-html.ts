/**
 * The HTML report of a rehearsal (`rtm-auth migrate rehearse --html FILE`; docs/rehearsal.md): one
 * self-contained page with the refusal rate of each cohort over simulated time, the stage applied
 * over the same time, the timeline of transitions and the cohorts' totals. No script, no external
 * resource; every text escaped.
 */
import { CHART_CSS, escapeHtml as e, lineChart } from "../../client/load/svg-chart.js";
import type { RehearsalResult } from "./rehearsal.js";

/** Distinct, readable colours for up to 12 cohorts (then they repeat). */
const PALETTE = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457", "#9e9d24", "#37474f", "#4527a0", "#00695c"];

const PAGE_CSS =
  "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;padding:0 16px;color:#222}" +
  "h1{font-size:20px}h2{font-size:16px;margin-top:28px}" +
  "table{border-collapse:collapse;margin:6px 0 14px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}" +
  "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f5f5f5}.ok{color:#2e7d32}.bad{color:#c62828}.note{color:#666}";

function outcomeClass(o: RehearsalResult["outcome"]): string {
  return o === "completed" ? "ok" : "bad";
}

/**
 * The "applied" chart's line, one value per point of `r.series`: with percent cohorts the share of
 * uids the stage applies to (`byPercent`), otherwise the stage's number; 0 with no cohort applied.
 * Once the final step is taken (status `completed`) the target applies to every uid, so the line
 * stays at `top` (100, or the last stage) instead of falling to 0, which would read as a rollback.
 */
export function appliedSeries(r: Pick<RehearsalResult, "plan" | "series">): { byPercent: boolean; top: number; values: number[] } {
  const percents = r.plan.stages.map((s) => ("percent" in s.cohort ? s.cohort.percent : null));
  const byPercent = percents.every((x) => x !== null);
  const top = byPercent ? 100 : r.plan.stages.length;
  const values = r.series.map((p) => (p.status === "completed" ? top : p.stage < 0 ? 0 : byPercent ? (percents[p.stage] as number) : p.stage + 1));
  return { byPercent, top, values };
}

/** The report page. */
export function renderRehearsalHtml(r: RehearsalResult): string {
  const days = r.series.map((p) => Math.round((p.elapsed / 86_400) * 1000) / 1000);
  const cohorts = Object.keys(r.cohorts);
  const refusal = lineChart({
    title: "Refusal rate per cohort (% of the step's logins)",
    x: days,
    xLabel: "simulated days",
    yLabel: "% refused",
    series: cohorts.map((name, i) => ({ name, color: PALETTE[i % PALETTE.length] as string, values: r.series.map((p) => p.cohorts[name]?.refusalPercent ?? null) })),
  });
  const { byPercent, top, values } = appliedSeries(r);
  const stages = lineChart({
    title: byPercent ? "Cohort applied (% of uids; 0 = none, 100 once the final step is taken)" : `Stage applied (1 to ${r.plan.stages.length}; 0 = none, ${top} once the final step is taken)`,
    x: days,
    xLabel: "simulated days",
    yLabel: byPercent ? "% of uids" : "stage",
    series: [
      {
        name: byPercent ? "cohort" : "stage",
        color: "#37474f",
        values,
      },
      // The scale's top: the last stage (or 100 %), so the axis has whole steps.
      { name: byPercent ? "everyone" : "last stage", color: "#bdbdbd", dashed: true, values: r.series.map(() => top) },
    ],
  });
  const at = (s: number): string => `${(s / 86_400).toFixed(2)} d`;
  const stageName = (i: number, name: string | null): string => (i < 0 ? "(none)" : `${i + 1} ${name ?? ""}`);
  const timeline = r.timeline
    .map(
      (t) =>
        `<tr><td class="n">${e(at(t.elapsed))}</td><td>${e(t.cause)}</td><td>${e(t.by)}</td><td>${e(stageName(t.fromStage, t.fromStageName))}</td><td>${e(stageName(t.toStage, t.toStageName))}</td><td>${e(t.status)}</td><td>${e(t.note ?? "")}</td></tr>`,
    )
    .join("");
  const totals = Object.entries(r.cohorts)
    .map(([name, c]) => {
      const reasons = Object.entries(c.byReason)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");
      return `<tr><td>${e(name)}</td><td class="n">${e(String(c.share))}</td><td>${e(c.credential)}${c.bug === null ? "" : ` (${e(c.bug)})`}</td><td class="n">${c.logins}</td><td class="n">${c.refused}</td><td class="n">${c.refusalPercent ?? 0}</td><td>${e(reasons)}</td></tr>`;
    })
    .join("");
  const stagesTable = r.plan.stages
    .map((s, i) => {
      const cohort = "percent" in s.cohort ? `${s.cohort.percent} % of uids` : `uids matching ${s.cohort.uidPattern}`;
      const guards = s.guards.map((g) => `${g.reason} ≤ ${g.maxPercent} % over ≥ ${g.minLogins} ${g.op === "any" ? "decisions" : g.op === "login" ? "logins" : "renewals"}`).join("; ");
      return `<tr><td class="n">${i + 1}</td><td>${e(s.name)}</td><td>${e(cohort)}</td><td class="n">${e(at(s.minSeconds))}</td><td>${e(guards || "none")}</td></tr>`;
    })
    .join("");
  const target = r.plan.target.target === "token_only" ? 'token only ("No certificate" deleted)' : `${r.plan.target.slot} certificate deleted`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>rtm-auth migration rehearsal</title><link rel="icon" href="data:,"><style>${PAGE_CSS}${CHART_CSS}</style></head>
<body>
<h1>Migration rehearsal: <span class="${outcomeClass(r.outcome)}">${e(r.outcome)}</span></h1>
<p>${e(r.verdict)}</p>
${r.warnings.map((w) => `<p class="bad">Warning: ${e(w)}</p>`).join("\n")}
<p class="note">Target: ${e(target)}. ${r.steps} steps of ${r.stepSeconds} s (${e(at(r.simulatedSeconds))} simulated) in ${(r.wallMs / 1000).toFixed(1)} s of wall time; rollbacks: ${r.rollbacks}. Project at the end: mode ${e(r.project.mode)}.</p>
${refusal}
${stages}
<h2>Timeline</h2>
<table><tr><th>at</th><th>cause</th><th>by</th><th>from</th><th>to</th><th>status</th><th>note</th></tr>${timeline}</table>
<h2>Plan</h2>
<table><tr><th>#</th><th>stage</th><th>cohort</th><th>least time</th><th>guards</th></tr>${stagesTable}</table>
<h2>Cohorts over the whole run</h2>
<table><tr><th>cohort</th><th>share</th><th>credential</th><th>logins</th><th>refused</th><th>%</th><th>by reason</th></tr>${totals}</table>
</body></html>
`;
}
