// Migration dashboard (docs/migration.md, docs/rollouts.md): the readiness panel with a verdict per
// step, the shadow target and its counters by reason, and the staged rollout: its stages, guards,
// trips and rollbacks on a timeline, with advance / pause / resume / roll back / abort (each change
// behind a dialog; the final step with its dry-run figures and the App ID typed).
//
// A success line ("Rollout paused: …", "Shadow target set") is kept with the state it reported (the
// rollout's revision, the shadow target) and goes once that state is no longer the one shown.
import { useRef, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { ConfirmDialog, ErrorNote, fmtDuration, fmtRefusals, fmtTime, html, ModeBadge, sameUnits, StaleNote, staleClass, useFreshness, usePoll } from "./ui.js";

const enc = encodeURIComponent;

/** The verdicts' steps in the order an operator meets them, with words. */
const STEP_WORDS = {
  delete_no_certificate: "Delete “No certificate”",
  swap: "Set the secondary as primary (swap)",
  delete_secondary: "Delete the secondary certificate",
  delete_primary: "Delete the primary certificate",
};

/** A rollout status in words. */
const STATUS_WORDS = { running: "running", paused: "paused", rolled_back: "rolled back", completed: "completed", aborted: "aborted" };
/** What an operator's action did, in words. */
const ACTION_DONE = { advance: "Rollout advanced", pause: "Rollout paused", resume: "Rollout resumed", rollback: "Rollout rolled back one stage", abort: "Rollout aborted" };
/** A rollout's final step in words. */
const FINAL_WORDS = { delete_no_certificate: "delete “No certificate”", delete_secondary: "delete the secondary certificate" };

/** The dry-run call of each final step of a rollout. */
const FINAL_DRY_RUN = {
  delete_no_certificate: ["DELETE", "/no-certificate"],
  delete_secondary: ["DELETE", "/certificates/secondary"],
};

/** The page: a project picker, then the three panels of the chosen project. */
export function MigrationPage({ appId, navigate }) {
  const [projects, setProjects] = useState(null);
  const fresh = useFreshness();
  usePoll(async () => {
    try {
      const list = (await api("GET", "/projects")).projects;
      setProjects(list);
      fresh.ok();
      if (appId === null && list.length > 0) navigate(`#/migration/${list[0].appId}`);
    } catch (err) {
      fresh.fail(err);
    }
  }, 5000, [appId]);
  const project = projects?.find((p) => p.appId === appId) ?? null;
  return html`
    <p class="lead">Before a step that cannot be undone: what the last logins used, what each step would refuse, and the staged rollout that takes the step a slice of users at a time.</p>
    <${StaleNote} fresh=${fresh} />
    <form class="inline" onSubmit=${(e) => e.preventDefault()}>
      <label>Project
        <select name="project" value=${appId ?? ""} onChange=${(e) => navigate(`#/migration/${e.currentTarget.value}`)}>
          ${appId === null ? html`<option value="">choose a project</option>` : null}
          ${(projects ?? []).map((p) => html`<option value=${p.appId}>${p.appId} (${p.mode})</option>`)}
        </select>
      </label>
      ${project ? html`<span><${ModeBadge} mode=${project.mode} /> <a href=${`#/projects/${project.appId}`}>Edit Project</a></span>` : null}
    </form>
    ${projects !== null && projects.length === 0 ? html`<p>No project yet: <a href="#/projects">create one</a>.</p>` : null}
    ${appId === null || project === null ? null : html`<${Dashboard} key=${appId} project=${project} />`}`;
}

/** The three panels of one project, on one readiness poll. */
function Dashboard({ project }) {
  const appId = project.appId;
  const [windowSeconds, setWindowSeconds] = useState(3600);
  const [report, setReport] = useState(null);
  const fresh = useFreshness();
  const refresh = usePoll(
    async () => {
      try {
        setReport(await api("GET", `/projects/${enc(appId)}/readiness?windowSeconds=${windowSeconds}`));
        fresh.ok();
      } catch (err) {
        fresh.fail(err);
      }
    },
    3000,
    [appId, windowSeconds],
  );
  return html`
    <section class=${staleClass("panel", fresh)} aria-labelledby="readiness-title">
      <h2 id="readiness-title">Readiness</h2>
      <${StaleNote} fresh=${fresh} />
      <form class="inline" onSubmit=${(e) => e.preventDefault()}>
        <label>Window
          <select name="window" value=${String(windowSeconds)} onChange=${(e) => setWindowSeconds(Number(e.currentTarget.value))}>
            <option value="300">last 5 minutes</option><option value="900">last 15 minutes</option><option value="3600">last hour</option>
          </select>
        </label>
        <span class="muted">of the simulated clock${report ? html`, covering ${fmtDuration(report.coveredSeconds)} up to ${fmtTime(report.now)}` : null}</span>
      </form>
      ${report === null ? (fresh.error === null ? html`<p role="status">Loading…</p>` : null) : html`<${Readiness} report=${report} />`}
    </section>
    <${ShadowPanel} project=${project} report=${report} fresh=${fresh} refresh=${refresh} />
    <${RolloutPanel} project=${project} refreshReadiness=${refresh} />`;
}

function Readiness({ report: r }) {
  const refused = Object.entries(r.refused).sort((a, b) => b[1] - a[1]);
  return html`
    <p class="muted">Figures of ${r.scope === "cluster" ? `every gateway on the Redis (${r.gateways})` : "this gateway"}.${r.warning ? html` <span class="note">${r.warning}</span>` : null}</p>
    <div class="grid2">
      <table class="kv" aria-label="Accepted logins in the window">
        <tbody>
          <tr><th scope="row">Logins with the App ID</th><td class="num">${r.logins.appid}</td></tr>
          <tr><th scope="row">Logins with a token</th><td class="num">${r.logins.token}</td></tr>
          <tr><th scope="row">… 007 / 006</th><td class="num">${r.logins.byVersion["007"]} / ${r.logins.byVersion["006"]}</td></tr>
          <tr><th scope="row">… primary / secondary</th><td class="num">${r.logins.bySlot.primary} / ${r.logins.bySlot.secondary}</td></tr>
          <tr><th scope="row">Distinct uids (App ID / token)</th><td class="num">${r.distinctUids.appid.count}${r.distinctUids.appid.exact ? "" : "≈"} / ${r.distinctUids.token.count}${r.distinctUids.token.exact ? "" : "≈"}</td></tr>
          <tr><th scope="row">Live sessions (App ID / token)</th><td class="num">${r.liveSessions.appid} / ${r.liveSessions.token}</td></tr>
          <tr><th scope="row">Last App ID login</th><td>${fmtTime(r.lastUse.appid)}</td></tr>
        </tbody>
      </table>
      <div>
        <h3>Refused logins by reason</h3>
        ${refused.length === 0
          ? html`<p class="muted">None in the window.</p>`
          : html`<table><thead><tr><th scope="col">Reason</th><th scope="col" class="num">Logins</th></tr></thead>
              <tbody>${refused.map(([reason, n]) => html`<tr><td><code>${reason}</code></td><td class="num">${n}</td></tr>`)}</tbody></table>`}
        <h3>Uids still on the App ID</h3>
        ${r.appIdUids.length === 0
          ? html`<p class="muted">None in the window.</p>`
          : html`<p>${r.appIdUids.slice(0, 20).map((u, i) => html`${i > 0 ? ", " : ""}<code>${u.uid}</code>`)}${r.appIdUids.length > 20 ? ` and ${r.appIdUids.length - 20} more` : ""}</p>`}
      </div>
    </div>
    <h3>What each step would do now</h3>
    <div class="table-scroll"><table>
      <thead><tr><th scope="col">Step</th><th scope="col">Possible</th><th scope="col" class="num">Would refuse</th><th scope="col">Reason</th><th scope="col" class="num">Sessions stranded</th><th scope="col">Summary</th></tr></thead>
      <tbody>
        ${Object.keys(STEP_WORDS).map((step) => {
          const v = r.verdicts[step];
          if (v === undefined) return null;
          return html`<tr data-step=${step}>
            <th scope="row">${STEP_WORDS[step]}</th>
            <td>${v.allowed ? html`<span class="badge ok">yes</span>` : html`<span class="badge bad">no</span> <code>${v.blockedBy}</code>`}</td>
            <td class="num">${fmtRefusals(v.wouldRefuse, v.wouldRefuseShare)}</td>
            <td>${v.reason === null ? "—" : html`<code>${v.reason}</code>`}</td>
            <td class="num">${v.liveSessionsAffected}</td>
            <td class="muted">${sameUnits(v.summary)}</td>
          </tr>`;
        })}
      </tbody>
    </table></div>`;
}

/** A shadow target as the select names it: token_only, delete_secondary, delete_primary. */
function targetChoice(t) {
  if (t === null || t === undefined) return null;
  return t.target === "token_only" ? "token_only" : `delete_${t.slot}`;
}

/**
 * What to know about a shadow target before trusting its figures: it names a certificate the
 * project does not have (it refuses nothing), or a step that is impossible (the primary cannot be
 * deleted), or a step already taken. Null when none applies.
 */
function shadowWarning(choice, project, report) {
  const { primary, secondary } = project.certificates;
  const verdict = report?.verdicts?.[choice === "token_only" ? "delete_no_certificate" : choice];
  if (choice === "token_only") {
    return project.noCertificate ? null : "“No certificate” is already deleted: the project is token only, so this target refuses nothing the project does not refuse already.";
  }
  const slot = choice === "delete_primary" ? "primary" : "secondary";
  if ((slot === "primary" ? primary : secondary) === null) {
    return `This project has no ${slot} certificate: deleting it is impossible (the real call answers ${verdict?.blockedBy ?? (slot === "primary" ? "primary_not_deletable" : "secondary_not_found")}), and this target refuses nothing.`;
  }
  if (slot === "primary") {
    return "The primary certificate cannot be deleted (set the secondary as primary first, then delete the old one, which is then the secondary): this target shows what deleting it would refuse, but the step itself is impossible.";
  }
  if (verdict && !verdict.allowed) return `Deleting the secondary is not possible now (${verdict.blockedBy}): this target shows what it would refuse, but the step itself cannot be taken yet.`;
  return null;
}

/** The shadow target: set, clear, and what it would have refused, by reason. */
function ShadowPanel({ project, report, fresh, refresh }) {
  const appId = project.appId;
  const [choice, setChoice] = useState("token_only");
  const [error, setError] = useState(null);
  /** { text, target }: shown while the shadow target is still `target` (a choice, or null). */
  const [said, setSaid] = useState(null);
  const current = report?.shadow.target ?? project.shadow;
  const currentChoice = targetChoice(current);
  const set = async (e) => {
    e.preventDefault();
    setError(null);
    setSaid(null);
    const body = choice === "token_only" ? { target: "token_only" } : { target: "delete_certificate", slot: choice === "delete_primary" ? "primary" : "secondary" };
    try {
      await api("PUT", `/projects/${enc(appId)}/shadow`, body);
      setSaid({ text: "Shadow target set: every login is now decided a second time against it.", target: choice });
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  const clear = async () => {
    setError(null);
    setSaid(null);
    try {
      await api("DELETE", `/projects/${enc(appId)}/shadow`);
      setSaid({ text: "Shadow target cleared.", target: null });
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  const refused = Object.entries(report?.shadow.refused ?? {}).sort((a, b) => b[1] - a[1]);
  const label = currentChoice === null ? null : currentChoice === "token_only" ? "token only (“No certificate” deleted)" : `the ${current.slot} certificate deleted`;
  const choiceWarning = shadowWarning(choice, project, report);
  const currentWarning = currentChoice === null || currentChoice === choice ? null : shadowWarning(currentChoice, project, report);
  return html`<section class=${staleClass("panel", fresh)} aria-labelledby="shadow-title">
    <h2 id="shadow-title">Shadow decisions</h2>
    <p>A shadow target decides every login and renew a second time, as if the step had been taken. Clients see only the real outcome.</p>
    <p>Shadow target now: ${label === null ? html`<b>none</b>` : html`<b>${label}</b>`}</p>
    ${currentWarning ? html`<p class="note" id="shadow-current-warning">${currentWarning}</p>` : null}
    <form class="inline" onSubmit=${set}>
      <label>Shadow target
        <select name="shadow-target" value=${choice} onChange=${(e) => setChoice(e.currentTarget.value)} aria-describedby=${choiceWarning ? "shadow-warning" : undefined}>
          <option value="token_only">token only (delete “No certificate”)</option>
          <option value="delete_secondary">delete the secondary certificate</option>
          <option value="delete_primary">delete the primary certificate</option>
        </select>
      </label>
      <button type="submit" class="primary">Set shadow target</button>
      ${label === null ? null : html`<button type="button" onClick=${clear}>Clear shadow target</button>`}
    </form>
    ${choiceWarning ? html`<p class="note" id="shadow-warning">${choiceWarning}</p>` : null}
    <p role="status" class="status-line">${said !== null && said.target === currentChoice ? said.text : ""}</p>
    <${ErrorNote} error=${error} />
    <h3>Shadow refusals by reason</h3>
    ${refused.length === 0
      ? html`<p class="muted">None in the window${label === null ? " (no target set)" : ""}.</p>`
      : html`<table aria-label="Shadow refusals by reason"><thead><tr><th scope="col">Reason</th><th scope="col" class="num">Logins the target would refuse</th></tr></thead>
          <tbody>${refused.map(([reason, n]) => html`<tr><td><code>${reason}</code></td><td class="num">${n}</td></tr>`)}</tbody></table>`}
  </section>`;
}

/** A starting plan for a project: token only while "No certificate" exists, else deleting the secondary. */
function samplePlan(project) {
  const target = project.noCertificate ? { target: "token_only" } : { target: "delete_certificate", slot: "secondary" };
  const reason = project.noCertificate ? "token_required" : "invalid_signature";
  const stage = (name, percent, minSeconds) => ({ name, cohort: { percent }, minSeconds, guards: [{ reason, maxPercent: 1, minLogins: 20 }] });
  return JSON.stringify({ target, advance: "auto", stages: [stage("10%", 10, 3600), stage("50%", 50, 3600), stage("everyone", 100, 3600)] }, null, 2);
}

function cohortWords(c) {
  return "percent" in c ? `${c.percent} % of uids` : `uids matching ${c.uidPattern}`;
}

/** What the target of a plan refuses, for the people in a cohort. */
function targetRefuses(target) {
  if (target?.target === "token_only") return "their App ID logins (no token) are refused with token_required";
  if (target?.target === "delete_certificate") return `their logins and renewals with tokens signed by the ${target.slot} certificate are refused with invalid_signature`;
  return "they are decided against the plan's target";
}

/** The guards of the last stage that do not hold yet, in words; null when they all hold. */
function guardsNotHolding(v) {
  const waiting = v.guards.filter((g) => !g.holds);
  if (waiting.length === 0) return null;
  const words = waiting.map((g) =>
    g.tripped
      ? `${g.reason} ≤ ${g.maxPercent} % is tripped (${g.percent} % of ${g.decisions})`
      : `${g.reason} ≤ ${g.maxPercent} % has seen ${g.decisions} of its ${g.minLogins} decisions`,
  );
  return `The final step is only taken when every guard of the last stage holds, and ${waiting.length === 1 ? "one does not" : `${waiting.length} do not`}: ${words.join("; ")}. The button is enabled once they hold.`;
}

/** The staged rollout: the plan form when there is none, else its stages, guards, timeline and actions. */
function RolloutPanel({ project, refreshReadiness }) {
  const appId = project.appId;
  const [view, setView] = useState(undefined);
  const fresh = useFreshness();
  const [error, setError] = useState(null);
  const [planText, setPlanText] = useState(() => samplePlan(project));
  const [dialog, setDialog] = useState(null);
  /** { text, revision }: shown while the rollout is at that revision. */
  const [said, setSaid] = useState(null);
  // Read the rollout only once the project has one (no 404 rollout_not_found in the browser's console).
  const known = useRef(false);
  known.current ||= project.rollout !== null;
  const refresh = usePoll(
    async () => {
      if (!known.current) {
        setView(null);
        return;
      }
      try {
        setView(await api("GET", `/projects/${enc(appId)}/rollout`));
        fresh.ok();
      } catch (err) {
        if (err instanceof ApiError && err.code === "rollout_not_found") {
          setView(null);
          fresh.ok();
        } else fresh.fail(err);
      }
    },
    2000,
    [appId],
  );

  /** Start: the plan must be JSON; the dialog says whose logins are refused from the first stage on. */
  const askStart = (e) => {
    e.preventDefault();
    setError(null);
    setSaid(null);
    let plan;
    try {
      plan = JSON.parse(planText);
    } catch (err) {
      setError(new ApiError(400, "invalid_json", `the plan is not JSON: ${err.message}`));
      return;
    }
    setDialog({ action: "start", plan, busy: false, error: null });
  };
  const start = async () => {
    const d = dialog;
    setDialog({ ...d, busy: true, error: null });
    try {
      const next = await api("PUT", `/projects/${enc(appId)}/rollout`, d.plan, { write: true });
      setView(next);
      known.current = true;
      setDialog(null);
      setSaid({ text: `Rollout started at its first stage, “${next.stageName ?? "?"}”.`, revision: next.revision });
      refreshReadiness();
    } catch (err) {
      setDialog({ ...d, busy: false, error: err });
    }
  };

  /** Opens the dialog of an action; the final step reads its dry-run first. */
  const ask = async (action) => {
    const v = view;
    setSaid(null);
    const last = v.stage === v.plan.stages.length - 1;
    const finalStep = action === "advance" && last ? v.finalStep : null;
    setDialog({ action, finalStep, dry: finalStep ? "loading" : null, blocked: null, busy: false, error: null, revision: v.revision });
    if (finalStep) {
      const [method, suffix] = FINAL_DRY_RUN[finalStep];
      try {
        const dry = await api(method, `/projects/${enc(appId)}${suffix}?dryRun=true`);
        setDialog((d) => (d && d.action === action ? { ...d, dry } : d));
      } catch (err) {
        setDialog((d) => (d && d.action === action ? { ...d, dry: null, blocked: err instanceof ApiError && err.status > 0 && err.status < 500 ? err : null, error: err instanceof ApiError && err.status > 0 && err.status < 500 ? null : err } : d));
      }
    }
  };
  const act = async (action, extra = {}) => {
    setError(null);
    setSaid(null);
    const body = { revision: extra.revision ?? view.revision, ...(extra.confirm ? { confirm: extra.confirm } : {}) };
    const next = await api("POST", `/projects/${enc(appId)}/rollout/${action}`, body, { write: true });
    setView(next);
    const where = next.status === "completed" ? "the final step was taken" : next.stageName === null ? "no stage applied" : `at stage ${next.stage + 1}, “${next.stageName}”`;
    setSaid({ text: `${ACTION_DONE[action]}: now ${STATUS_WORDS[next.status] ?? next.status}, ${where}.`, revision: next.revision });
    refreshReadiness();
    return next;
  };
  const direct = async (action) => {
    try {
      await act(action);
    } catch (err) {
      setError(err);
    }
  };
  const confirm = async () => {
    const d = dialog;
    setDialog({ ...d, busy: true, error: null });
    try {
      await act(d.action, { revision: d.revision, ...(d.finalStep ? { confirm: d.finalStep } : {}) });
      setDialog(null);
      refresh();
    } catch (err) {
      setDialog({ ...d, busy: false, error: err });
    }
  };

  if (view === undefined) return html`<section class="panel" aria-labelledby="rollout-title"><h2 id="rollout-title">Staged rollout</h2><${StaleNote} fresh=${fresh} />${fresh.error === null ? html`<p role="status">Loading…</p>` : null}</section>`;
  const live = view !== null && (view.status === "running" || view.status === "paused" || view.status === "rolled_back");
  const saidNow = said !== null && (view === null ? said.revision === null : said.revision === view.revision) ? said.text : "";
  return html`<section class=${staleClass("panel", fresh)} aria-labelledby="rollout-title">
    <h2 id="rollout-title">Staged rollout</h2>
    <${StaleNote} fresh=${fresh} />
    <p role="status" class="status-line" id="rollout-said">${saidNow}</p>
    <${ErrorNote} error=${error} />
    ${view === null ? null : html`<${RolloutView} view=${view} />`}
    ${live
      ? html`<div class="actions" role="group" aria-label="Rollout actions">
          <button type="button" class="primary" onClick=${() => ask("advance")}>${view.stage === view.plan.stages.length - 1 ? "Advance: take the final step" : "Advance"}</button>
          <button type="button" onClick=${() => direct("pause")} disabled=${view.status !== "running"}>Pause</button>
          <button type="button" onClick=${() => direct("resume")} disabled=${view.status === "running"}>Resume</button>
          <button type="button" onClick=${() => ask("rollback")} disabled=${view.stage < 0}>Roll back</button>
          <button type="button" class="danger" onClick=${() => ask("abort")}>Abort</button>
        </div>`
      : html`<form class="stack" onSubmit=${askStart}>
          <label>${view === null ? "Plan (JSON; docs/rollouts.md)" : "A new plan (JSON; replaces the finished rollout)"}
            <textarea class="plan" name="plan" value=${planText} onInput=${(e) => setPlanText(e.currentTarget.value)} spellcheck=${false}></textarea>
          </label>
          <div class="actions"><button type="submit" class="primary">Start rollout</button></div>
        </form>`}
    ${dialog === null
      ? null
      : dialog.action === "start"
        ? html`<${StartDialog} dialog=${dialog} appId=${appId} onConfirm=${start} onCancel=${() => setDialog(null)} />`
        : html`<${RolloutDialog} dialog=${dialog} view=${view} appId=${appId} onConfirm=${confirm} onCancel=${() => setDialog(null)} />`}
  </section>`;
}

/** Starting a rollout: its consequence, at once, for the first stage's cohort. */
function StartDialog({ dialog, appId, onConfirm, onCancel }) {
  const plan = dialog.plan;
  const first = Array.isArray(plan?.stages) ? plan.stages[0] : undefined;
  const cohort = first?.cohort && typeof first.cohort === "object" ? cohortWords(first.cohort) : "the first stage's cohort";
  const consequence = html`From the moment it starts, for ${cohort} (stage 1${typeof first?.name === "string" ? html`, “${first.name}”` : ""}) of project <code>${appId}</code>, ${targetRefuses(plan?.target)}, on every gateway sharing this store. Other uids are decided as now. Nothing is deleted before the final step; pause, roll back or abort to stop it.`;
  return html`<${ConfirmDialog}
    id="confirm-start"
    open=${true}
    title="Start the rollout"
    consequence=${consequence}
    dry=${null}
    blocked=${null}
    confirmLabel="Start rollout"
    danger=${true}
    busy=${dialog.busy}
    error=${dialog.error}
    onConfirm=${onConfirm}
    onCancel=${onCancel}
  />`;
}

/** The words of each action's dialog. */
function RolloutDialog({ dialog, view, appId, onConfirm, onCancel }) {
  const next = view.plan.stages[view.stage + 1];
  const prev = view.stage > 0 ? view.plan.stages[view.stage - 1] : null;
  let title;
  let consequence;
  let label;
  let hold = null;
  if (dialog.action === "advance" && dialog.finalStep) {
    title = dialog.finalStep === "delete_no_certificate" ? "Take the final step: delete “No certificate”" : "Take the final step: delete the secondary certificate";
    consequence =
      dialog.finalStep === "delete_no_certificate"
        ? "This cannot be undone: “No certificate” is deleted for everyone, and App ID logins are refused with token_required. The rollout completes."
        : "This cannot be undone: the secondary certificate is deleted for everyone, and its tokens stop verifying. The rollout completes.";
    label = "Take the final step";
    hold = guardsNotHolding(view);
  } else if (dialog.action === "advance") {
    title = `Advance to “${next?.name ?? "?"}”`;
    consequence = next ? `For ${cohortWords(next.cohort)} from now on, ${targetRefuses(view.plan.target)}, without waiting for this stage's minimum time. Nothing is deleted yet.` : "";
    label = "Advance";
  } else if (dialog.action === "rollback") {
    title = "Roll back one stage";
    consequence = prev
      ? `The cohort shrinks back to “${prev.name}” (${cohortWords(prev.cohort)}) and the rollout stops advancing until it is resumed.`
      : "No stage stays applied: every uid is decided against the project as it is. The rollout waits until it is resumed.";
    label = "Roll back";
  } else {
    title = "Abort the rollout";
    consequence = "The rollout ends for good: no cohort is applied any more and nothing is deleted. It cannot be resumed; a new plan can be put afterwards.";
    label = "Abort";
  }
  return html`<${ConfirmDialog}
    id="confirm-rollout"
    open=${true}
    title=${title}
    consequence=${consequence}
    dry=${dialog.dry}
    blocked=${dialog.blocked}
    hold=${hold}
    typeToConfirm=${dialog.finalStep ? appId : undefined}
    confirmLabel=${label}
    danger=${dialog.action !== "advance" || !!dialog.finalStep}
    busy=${dialog.busy}
    error=${dialog.error}
    onConfirm=${onConfirm}
    onCancel=${onCancel}
  />`;
}

/** The rollout's status, stages, current guards and timeline. */
function RolloutView({ view: v }) {
  const statusClass = { running: "info", paused: "warn", rolled_back: "bad", completed: "ok", aborted: "warn" }[v.status] ?? "info";
  const left = v.stageMinUntil === null ? null : v.stageMinUntil - v.now;
  return html`
    <p><span class=${`badge ${statusClass}`}>${STATUS_WORDS[v.status] ?? v.status}</span> ${[
      v.stage >= 0 ? `at stage ${v.stage + 1} of ${v.plan.stages.length}, “${v.stageName}”` : "no stage applied",
      `target: ${v.plan.target.target === "token_only" ? "token only" : `delete the ${v.plan.target.slot}`}`,
      v.plan.advance === "auto" ? "advances by itself" : "advanced by hand",
      `revision ${v.revision}`,
      ...(left === null ? [] : [left > 0 ? `${fmtDuration(left)} left on this stage` : "stage time passed"]),
    ].join(" · ")}${v.awaitingConfirmation ? html` · <span class="badge warn">awaiting confirmation of the final step (${FINAL_WORDS[v.finalStep] ?? v.finalStep})</span>` : null}</p>
    <ol class="stages" aria-label="Stages">
      ${v.plan.stages.map((s, i) => {
        const cls = i === v.stage ? "current" : v.status === "completed" || i < v.stage ? "done" : "";
        return html`<li class=${cls} aria-current=${i === v.stage ? "step" : undefined}><b>${i + 1}. ${s.name}</b><br /><span class="muted">${cohortWords(s.cohort)}, at least ${fmtDuration(s.minSeconds)}</span></li>`;
      })}
    </ol>
    ${v.guards.length === 0
      ? null
      : html`<div class="table-scroll"><table aria-label="Guards of the current stage">
          <thead><tr><th scope="col">Guard</th><th scope="col" class="num">Decisions</th><th scope="col" class="num">Refused</th><th scope="col" class="num">Percent</th><th scope="col">Judgement</th></tr></thead>
          <tbody>
            ${v.guards.map(
              (g) => html`<tr>
                <td><code>${g.reason}</code> ≤ ${g.maxPercent} % of ${g.op} over ≥ ${g.minLogins}</td>
                <td class="num">${g.decisions}</td><td class="num">${g.refused}</td><td class="num">${g.percent} %</td>
                <td>${g.tripped ? html`<span class="badge bad">tripped</span>` : g.holds ? html`<span class="badge ok">holds</span>` : html`<span class="badge info">judging (${g.decisions} of ${g.minLogins})</span>`}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>`}
    <h3>Timeline</h3>
    <ol class="timeline" aria-label="Rollout timeline">
      ${[...v.history].reverse().map(
        (t) => html`<li class=${`cause-${t.cause}`}>
          <b>${t.cause.replace(/_/g, " ")}</b> by ${t.by} · ${fmtTime(t.at)} · ${stageName(v, t.fromStage)} → ${stageName(v, t.toStage)} · <span class="muted">${STATUS_WORDS[t.status] ?? t.status}, revision ${t.revision}</span>
          ${t.trip ? html`<br /><span>guard ${t.trip.guard} tripped: ${t.trip.refused} of ${t.trip.decisions} refused with <code>${t.trip.reason}</code> (${t.trip.percent} % > ${t.trip.maxPercent} %)</span>` : null}
          ${t.note && !t.trip ? html`<br /><span class="muted">${t.note}</span>` : null}
        </li>`,
      )}
    </ol>`;
}

function stageName(v, i) {
  return i < 0 ? "(none)" : `“${v.plan.stages[i]?.name ?? i}”`;
}
