/**
 * The self-contained HTML report of a load run (`--html FILE`): one file with inline CSS and
 * inline SVG charts (svg-chart.ts) — login latency over time, outcomes over time, users in flight
 * — and the tables of the text report. No script and no external resource, so it opens anywhere
 * (a browser, a CI artifact viewer) without a network. A capacity search adds its steps.
 */
import type { CapacityResult } from "./capacity.js";
import { usersLine, type LoadReport } from "./load-report.js";
import { CHART_CSS, escapeHtml, lineChart, stackedBarChart } from "./svg-chart.js";
import type { OpCounts } from "./tally.js";

const COLORS = { accepted: "#2e7d32", refused: "#f9a825", errors: "#c62828", unexpected: "#6a1b9a", p50: "#1565c0", p99: "#ef6c00", max: "#9e9e9e", inFlight: "#00838f", sessions: "#5d4037", target: "#9e9e9e" };

const e = escapeHtml;
const cell = (v: unknown): string => `<td>${e(v === null || v === undefined ? "—" : String(v))}</td>`;
const num = (v: number | null): string => `<td class="n">${v === null ? "—" : e(String(v))}</td>`;

function table(head: readonly string[], rows: readonly string[]): string {
  if (rows.length === 0) return '<p class="empty">none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function opRows(name: string, c: OpCounts): string[] {
  if (c.attempts === 0) return [];
  return [`<tr>${cell(name)}${num(c.attempts)}${num(c.accepted)}${num(c.refused)}${num(c.errors)}</tr>`];
}

function refusalRows(name: string, c: OpCounts): string[] {
  const rows: string[] = [];
  for (const [reason, codes] of Object.entries(c.refusedBy).sort()) for (const [code, n] of Object.entries(codes).sort()) rows.push(`<tr>${cell(name)}${cell(reason)}${cell(code)}${num(n)}</tr>`);
  return rows;
}

function errorRows(name: string, c: OpCounts): string[] {
  return Object.entries(c.errorsBy)
    .sort()
    .map(([kind, n]) => `<tr>${cell(name)}${cell(kind)}${num(n)}</tr>`);
}

function runSection(r: LoadReport): string {
  const o = r.options;
  const g = r.generator;
  const t = r.timeline;
  const x = t.map((p) => p.t);
  const parts: string[] = [];
  parts.push(
    `<p>${e(r.target.urls.join(", "))} · app ${e(r.target.appId)} · ${o.model === "open" ? `${o.rate}/s arrivals` : `${o.concurrency} users kept going`} for ${o.durationS} s · ${e(o.profile)} · ${e(usersLine(r))} · seed ${o.seed} · started ${e(r.startedAt)}</p>`,
  );
  parts.push(
    `<p class="${g.saturated || r.measured.answered === 0 ? "bad" : "ok"}">Generator: ${g.engines} engine thread(s)${g.processes > 1 ? ` in ${g.processes} processes` : ""} on ${g.cpus} CPUs; ${g.targetRate === null ? "" : `target ${g.targetRate}/s, `}achieved ${g.achievedRate}/s, answered ${g.answeredRate}/s; CPU ${g.cpuSeconds} s (${g.cpuCores} cores); busiest thread ${Math.round(g.eluMean * 100)}%. ${r.measured.answered === 0 ? "Nothing measured: no login was answered." : g.saturated ? `SATURATED: ${e(g.saturation.join("; "))}` : "Not saturated."}</p>`,
  );
  if (r.measured.problem !== null) parts.push(`<p class="bad">FAIL: ${e(r.measured.problem)}</p>`);
  parts.push(
    lineChart({
      title: "Login latency over time (ms, log scale)",
      x,
      xLabel: "seconds from start",
      yLabel: "ms",
      logY: true,
      series: [
        { name: "p50", color: COLORS.p50, values: t.map((p) => p.loginP50) },
        { name: "p99", color: COLORS.p99, values: t.map((p) => p.loginP99) },
        { name: "max", color: COLORS.max, values: t.map((p) => p.loginMax), dashed: true },
      ],
    }),
  );
  parts.push(
    stackedBarChart({
      title: "Login outcomes per interval",
      x,
      xLabel: "seconds from start",
      yLabel: "logins",
      series: [
        { name: "accepted", color: COLORS.accepted, values: t.map((p) => p.accepted) },
        { name: "refused", color: COLORS.refused, values: t.map((p) => p.refused) },
        { name: "errors", color: COLORS.errors, values: t.map((p) => p.errors) },
      ],
    }),
  );
  parts.push(
    lineChart({
      title: "Unexpected outcomes and renewals per interval",
      x,
      xLabel: "seconds from start",
      yLabel: "count",
      series: [
        { name: "unexpected", color: COLORS.unexpected, values: t.map((p) => p.unexpected) },
        { name: "renew accepted", color: COLORS.accepted, values: t.map((p) => p.renewAccepted), dashed: true },
        { name: "renew refused", color: COLORS.refused, values: t.map((p) => p.renewRefused), dashed: true },
      ],
    }),
  );
  parts.push(
    lineChart({
      title: "Users in flight and logged-in sessions",
      x,
      xLabel: "seconds from start",
      yLabel: "users",
      series: [
        { name: "in flight", color: COLORS.inFlight, values: t.map((p) => p.inFlight) },
        { name: "sessions", color: COLORS.sessions, values: t.map((p) => p.sessions), dashed: true },
      ],
    }),
  );
  parts.push("<h2>Outcomes</h2>");
  parts.push(table(["op", "attempts", "accepted", "refused", "errors"], [...opRows("login", r.login), ...opRows("renewToken", r.renew), ...opRows("logout", r.logout)]));
  parts.push("<h3>Refusals by reason and code</h3>");
  parts.push(table(["op", "reason", "code", "count"], [...refusalRows("login", r.login), ...refusalRows("renewToken", r.renew), ...refusalRows("logout", r.logout)]));
  parts.push("<h3>Client-side errors</h3>");
  parts.push(table(["op", "kind", "count"], [...errorRows("login", r.login), ...errorRows("renewToken", r.renew), ...errorRows("logout", r.logout)]));
  parts.push("<h3>By credential</h3>");
  parts.push(
    table(
      ["credential", "attempts", "accepted", "refused", "errors"],
      Object.entries(r.byKind)
        .sort()
        .map(([k, c]) => `<tr>${cell(k)}${num(c.attempts)}${num(c.accepted)}${num(c.refused)}${num(c.errors)}</tr>`),
    ),
  );
  const cohorts = Object.entries(r.cohorts);
  if (cohorts.length > 0) {
    parts.push("<h3>By cohort</h3>");
    parts.push(
      table(
        ["cohort", "share", "expected", "attempts", "accepted", "refused", "refused by reason", "errors", "skipped", "renewals", "renewals refused", "ended by the gateway", "unexpected"],
        cohorts.map(([name, c]) => {
          const by = Object.entries(c.refusedBy)
            .sort()
            .map(([k, n]) => `${k} ×${n}`)
            .join(", ");
          const ended = Object.entries(c.ended)
            .sort()
            .map(([k, n]) => `${k} ×${n}`)
            .join(", ");
          return `<tr>${cell(name)}${num(c.share)}${cell(c.expect ?? "accept")}${num(c.attempts)}${num(c.accepted)}${num(c.refused)}${cell(by || null)}${num(c.errors)}${num(c.skipped)}${num(c.renewals)}${num(c.renewRefused)}${cell(ended || null)}<td class="n ${c.unexpected > 0 ? "bad" : ""}">${c.unexpected}</td></tr>`;
        }),
      ),
    );
  }
  parts.push("<h3>Close codes</h3>");
  parts.push(
    table(
      ["code", "count", "gateway closed first"],
      Object.entries(r.closes)
        .sort()
        .map(([c, n]) => `<tr>${cell(c)}${num(n)}${num(r.serverCloses[c] ?? 0)}</tr>`),
    ),
  );
  parts.push(`<h3>Unexpected outcomes: ${r.unexpected.total}</h3>`);
  parts.push(
    table(
      ["what", "count"],
      Object.entries(r.unexpected.by)
        .sort((a, b) => b[1] - a[1])
        .map(([w, n]) => `<tr>${cell(w)}${num(n)}</tr>`),
    ),
  );
  parts.push("<h2>Latency (ms)</h2><p>login = connect + upgrade + login reply; renew = renewToken sent → reply; connect = TCP connect + upgrade.</p>");
  parts.push(
    table(
      ["", "count", "p50", "p90", "p99", "max", "mean"],
      (["login", "renew", "connect"] as const).map((k) => {
        const s = r.latency[k];
        return `<tr>${cell(k)}${num(s.count)}${num(s.p50)}${num(s.p90)}${num(s.p99)}${num(s.max)}${num(s.mean)}</tr>`;
      }),
    ),
  );
  if (r.thresholds.length > 0) {
    parts.push("<h2>Thresholds</h2>");
    parts.push(table(["threshold", "value", "result"], r.thresholds.map((x) => `<tr>${cell(x.threshold)}${num(x.actual === null ? null : Number(x.actual.toFixed(3)))}<td class="${x.pass ? "ok" : "bad"}">${x.pass ? "PASS" : "FAIL"}</td></tr>`)));
  }
  return parts.join("\n");
}

function capacitySection(c: CapacityResult): string {
  const x = c.steps.map((s) => s.rate);
  const parts: string[] = [];
  parts.push(
    `<p class="${c.highestPassingRate === null ? "bad" : "ok"}">Highest passing rate: <b>${c.highestPassingRate === null ? "none" : `${c.highestPassingRate}/s`}</b> (stopped: ${e(c.stoppedBecause.replace(/_/g, " "))}; thresholds ${e(c.thresholds.join(", "))}).</p>`,
  );
  parts.push(
    lineChart({
      title: "Login latency per step (ms, log scale)",
      x,
      xLabel: "target rate (logins/s)",
      yLabel: "ms",
      logY: true,
      series: [
        { name: "p50", color: COLORS.p50, values: c.steps.map((s) => s.loginP50) },
        { name: "p99", color: COLORS.p99, values: c.steps.map((s) => s.loginP99) },
        { name: "max", color: COLORS.max, values: c.steps.map((s) => s.loginMax), dashed: true },
      ],
    }),
  );
  parts.push(
    lineChart({
      title: "Achieved against target rate",
      x,
      xLabel: "target rate (logins/s)",
      yLabel: "logins/s",
      series: [
        { name: "target", color: COLORS.target, values: x, dashed: true },
        { name: "started", color: COLORS.p50, values: c.steps.map((s) => s.achievedRate) },
        { name: "answered", color: COLORS.accepted, values: c.steps.map((s) => s.answeredRate) },
      ],
    }),
  );
  parts.push(
    table(
      ["target/s", "achieved/s", "answered/s", "accepted", "refused", "errors", "unexpected", "p50 ms", "p99 ms", "max ms", "generator cores", "thresholds", "generator", "step"],
      c.steps.map(
        (s) =>
          `<tr><td class="n">${e(String(s.rate))}${s.repeat > 0 ? " (again)" : ""}</td>${num(s.achievedRate)}${num(s.answeredRate)}${num(s.accepted)}${num(s.refused)}${num(s.errors)}${num(s.unexpected)}${num(s.loginP50)}${num(s.loginP99)}${num(s.loginMax)}${num(s.generatorCpuCores)}` +
          `<td class="${s.thresholdsPass ? "ok" : "bad"}">${s.thresholdsPass ? "pass" : e(s.thresholds.filter((t) => !t.pass).map((t) => t.threshold).join(", "))}</td>` +
          `<td class="${s.saturated ? "bad" : "ok"}">${s.saturated ? e(s.saturation.join("; ")) : "kept up"}</td><td class="${s.pass ? "ok" : "bad"}">${s.pass ? "PASS" : "FAIL"}</td></tr>`,
      ),
    ),
  );
  return parts.join("\n");
}

const PAGE_CSS =
  "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;padding:0 16px;color:#222}" +
  "h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin-top:18px}" +
  "table{border-collapse:collapse;margin:6px 0 14px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}" +
  "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f5f5f5}.ok{color:#2e7d32}.bad{color:#c62828}.empty{color:#888}";

/** The report as one self-contained HTML page. */
export function renderHtmlReport(report: LoadReport | null, capacity: CapacityResult | null = null): string {
  const title = capacity === null ? "rtm-auth load report" : "rtm-auth capacity search";
  const body: string[] = [`<h1>${e(title)}</h1>`];
  if (capacity !== null) body.push(capacitySection(capacity));
  if (report !== null) {
    if (capacity !== null) body.push(`<h2>${capacity.highestPassingRate === null ? "First step" : "Highest passing step"} in detail</h2>`);
    body.push(runSection(report));
    body.push(`<p class="empty">Machine: ${report.machine.cpus} CPUs, Node.js ${e(report.machine.node)}, ${e(report.machine.platform)}.</p>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)}</title><link rel="icon" href="data:,"><style>${PAGE_CSS}${CHART_CSS}</style></head>
<body>
${body.join("\n")}
</body></html>
`;
}
