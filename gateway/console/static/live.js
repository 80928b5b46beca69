// Live (docs/console.md, "Live updates"): accepts and refusals per second by reason (uPlot), with the
// active sessions; the journal tail with filters and one-click explain with hints; the simulated
// clock; fault rules. Everything here polls the admin API while the page is open and visible, and
// stops when it is left: the gateway runs nothing for the console.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { api, ApiError, meta, query } from "./api.js";
import { ErrorNote, ExplainView, fmtTime, html, usePoll } from "./ui.js";

/** Points the chart keeps (one a second: two minutes). */
const CHART_POINTS = 120;
/** Journal rows the tail keeps. */
const TAIL_ROWS = 200;
/** Colours of the chart's series (accepted first, then refusal reasons in order of appearance). */
const PALETTE = ["#1a7f37", "#b3261e", "#8250df", "#bc4c00", "#0969da", "#9a6700", "#cf222e", "#1b7c83", "#6e7781", "#a475f9", "#d4a72c", "#e16f24"];

export function LivePage() {
  const [m, setMeta] = useState(null);
  useEffect(() => {
    meta().then(setMeta, () => {});
  }, []);
  return html`
    <p class="lead">What the gateway decides, while you watch. The page polls the admin API once a second while it is open; with the console closed nothing runs.</p>
    <${RateChart} />
    <${JournalTail} meta=${m} />
    <div class="grid2">
      <${ClockPanel} />
      <${FaultsPanel} meta=${m} />
    </div>`;
}

/** The series key of a count row: "accepted", "refused token_required", "unanswered", … */
function seriesKey(row) {
  return row.result === "refused" ? `refused ${row.reason}` : row.result;
}

/** Accepts and refusals per second by reason, from two readings of GET /admin/decision-counts a second apart. */
function RateChart() {
  const [op, setOp] = useState("login");
  const [error, setError] = useState(null);
  const [latest, setLatest] = useState(null);
  const box = useRef(null);
  const state = useRef({ prev: null, keys: ["accepted"], xs: [], ys: { accepted: [] }, sessions: [], chart: null, op: "login" });

  const build = () => {
    const s = state.current;
    s.chart?.destroy();
    const width = Math.max(320, (box.current?.clientWidth ?? 800) - 16);
    const series = [
      {},
      ...s.keys.map((k, i) => ({ label: k === "accepted" ? "accepted /s" : `${k} /s`, stroke: PALETTE[i % PALETTE.length], width: 2, scale: "rate", value: (_u, v) => (v === null ? "—" : v.toFixed(1)) })),
      { label: "active sessions", stroke: "#102a43", dash: [6, 4], width: 1.5, scale: "sessions", value: (_u, v) => (v === null ? "—" : String(v)) },
    ];
    s.chart = new uPlot(
      {
        width,
        height: 260,
        series,
        scales: { x: { time: true }, rate: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, sessions: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { scale: "rate", label: "decisions per second" }, { scale: "sessions", side: 1, label: "active sessions", grid: { show: false } }],
        legend: { live: false },
      },
      data(),
      box.current,
    );
  };
  const data = () => {
    const s = state.current;
    return [s.xs, ...s.keys.map((k) => s.ys[k]), s.sessions];
  };

  useEffect(() => {
    build();
    const onResize = () => state.current.chart?.setSize({ width: Math.max(320, (box.current?.clientWidth ?? 800) - 16), height: 260 });
    window.addEventListener("resize", onResize);
    return () => {
      window.removeEventListener("resize", onResize);
      state.current.chart?.destroy();
      state.current.chart = null;
    };
  }, []);

  usePoll(async () => {
    let reading;
    try {
      reading = await api("GET", "/decision-counts");
      setError(null);
    } catch (err) {
      setError(err);
      return;
    }
    const s = state.current;
    const prev = s.prev;
    s.prev = reading;
    if (prev === null || s.op !== op) {
      s.op = op;
      return;
    }
    const seconds = (reading.uptimeMs - prev.uptimeMs) / 1000;
    if (!(seconds > 0)) return;
    const before = new Map(prev.counts.map((r) => [`${r.op} ${r.result} ${r.reason}`, r.count]));
    const rates = { accepted: 0 };
    let restarted = false;
    for (const r of reading.counts) {
      if (op !== "any" && r.op !== op) continue;
      const diff = r.count - (before.get(`${r.op} ${r.result} ${r.reason}`) ?? 0);
      if (diff < 0) restarted = true;
      const k = seriesKey(r);
      rates[k] = (rates[k] ?? 0) + Math.max(0, diff) / seconds;
    }
    if (restarted) return;
    let grew = false;
    for (const k of Object.keys(rates)) {
      if (!s.keys.includes(k) && rates[k] > 0) {
        s.keys.push(k);
        s.ys[k] = s.xs.map(() => 0);
        grew = true;
      }
    }
    s.xs.push(Date.now() / 1000);
    for (const k of s.keys) s.ys[k].push(Math.round((rates[k] ?? 0) * 10) / 10);
    s.sessions.push(reading.activeSessions);
    if (s.xs.length > CHART_POINTS) {
      s.xs.shift();
      s.sessions.shift();
      for (const k of s.keys) s.ys[k].shift();
    }
    if (grew || s.chart === null) build();
    else s.chart.setData(data());
    setLatest({ rates, sessions: reading.activeSessions });
  }, 1000, [op]);

  const changeOp = (value) => {
    const s = state.current;
    s.keys = ["accepted"];
    s.xs = [];
    s.ys = { accepted: [] };
    s.sessions = [];
    s.prev = null;
    setOp(value);
    build();
  };

  const refusals = latest === null ? [] : Object.entries(latest.rates).filter(([k, v]) => k !== "accepted" && v > 0);
  return html`<section class="panel" aria-labelledby="rates-title">
    <h2 id="rates-title">Accepts and refusals per second</h2>
    <form class="inline" onSubmit=${(e) => e.preventDefault()}>
      <label>Operation
        <select name="rate-op" value=${op} onChange=${(e) => changeOp(e.currentTarget.value)}>
          <option value="login">login</option><option value="renewToken">renewToken</option><option value="logout">logout</option><option value="any">all operations</option>
        </select>
      </label>
      <span class="muted">this gateway's decisions (GET /admin/decision-counts, read once a second)</span>
    </form>
    <${ErrorNote} error=${error} />
    <figure>
      <div class="chart" ref=${box} role="img" aria-label="Chart of accepted and refused decisions per second by reason, and active sessions, over the last two minutes"></div>
      <figcaption>
        <table class="kv" aria-label="The last second" id="rates-now">
          <tbody>
            <tr><th scope="row">Accepted</th><td class="num" data-series="accepted">${latest === null ? "—" : `${latest.rates.accepted.toFixed(1)} /s`}</td></tr>
            <tr><th scope="row">Refused</th><td>${latest === null ? "—" : refusals.length === 0 ? "none" : refusals.map(([k, v], i) => html`${i > 0 ? ", " : ""}<code>${k.replace(/^refused /, "")}</code> ${v.toFixed(1)} /s`)}</td></tr>
            <tr><th scope="row">Active sessions</th><td class="num" data-series="sessions">${latest === null ? "—" : latest.sessions}</td></tr>
          </tbody>
        </table>
      </figcaption>
    </figure>
  </section>`;
}

const EMPTY_FILTER = { appId: "", uid: "", op: "", result: "", reason: "" };

/** The journal tail: newest first, filtered, polled with `since`; refused logins explained in one click. */
function JournalTail({ meta: m }) {
  const [draft, setDraft] = useState(EMPTY_FILTER);
  const [filter, setFilter] = useState(EMPTY_FILTER);
  const [rows, setRows] = useState([]);
  const [error, setError] = useState(null);
  const [disabled, setDisabled] = useState(false);
  const [selected, setSelected] = useState(null);
  const lastSeq = useRef(null);

  usePoll(
    async () => {
      try {
        const since = lastSeq.current;
        const page = await api("GET", `/journal${query({ ...filter, since: since ?? undefined, limit: since === null ? 50 : TAIL_ROWS })}`);
        setError(null);
        setDisabled(false);
        if (since !== null && page.lastSeq < since) {
          // The journal was cleared (POST /admin/reset): start over.
          lastSeq.current = null;
          setRows([]);
          return;
        }
        lastSeq.current = page.lastSeq;
        if (page.entries.length > 0) setRows((old) => [...page.entries, ...(since === null ? [] : old)].slice(0, TAIL_ROWS));
        else if (since === null) setRows([]);
      } catch (err) {
        if (err instanceof ApiError && err.code === "journal_disabled") setDisabled(true);
        else setError(err);
      }
    },
    1000,
    [filter],
  );

  const apply = (e) => {
    e.preventDefault();
    lastSeq.current = null;
    setRows([]);
    setFilter({ ...draft });
  };
  const field = (name) => (e) => setDraft({ ...draft, [name]: e.currentTarget.value });
  const options = (list) => html`<option value="">any</option>${(list ?? []).map((v) => html`<option value=${v}>${v}</option>`)}`;

  return html`<section class="panel" aria-labelledby="journal-title">
    <h2 id="journal-title">Journal tail</h2>
    ${disabled
      ? html`<div class="note" role="status">The journal is off on this gateway (<code>JOURNAL_SIZE=0</code>): there is no decision to show. The chart above still works.</div>`
      : null}
    <form class="inline" onSubmit=${apply} aria-label="Journal filters">
      <label>App ID <input name="filter-appId" value=${draft.appId} onInput=${field("appId")} size="20" autocomplete="off" /></label>
      <label>uid <input name="filter-uid" value=${draft.uid} onInput=${field("uid")} size="12" autocomplete="off" /></label>
      <label>Operation <select name="filter-op" value=${draft.op} onChange=${field("op")}>${options(m?.journalOps)}</select></label>
      <label>Result <select name="filter-result" value=${draft.result} onChange=${field("result")}>${options(m?.journalResults)}</select></label>
      <label>Reason <select name="filter-reason" value=${draft.reason} onChange=${field("reason")}>${options(m?.reasons)}</select></label>
      <button type="submit">Apply filters</button>
      <button type="button" onClick=${() => { setDraft(EMPTY_FILTER); lastSeq.current = null; setRows([]); setFilter(EMPTY_FILTER); }}>Clear</button>
    </form>
    <${ErrorNote} error=${error} />
    <div class="journal-wrap" tabindex="0" role="region" aria-label="Journal entries, newest first">
      <table id="journal">
        <thead><tr><th scope="col" class="num">#</th><th scope="col">Simulated time</th><th scope="col">Op</th><th scope="col">Result</th><th scope="col">Reason</th><th scope="col">App ID</th><th scope="col">uid</th><th scope="col">Credential</th><th scope="col">Profile</th><th scope="col"><span class="visually-hidden">Explain</span></th></tr></thead>
        <tbody>
          ${rows.length === 0
            ? html`<tr><td colspan="10" class="muted">${disabled ? "journal off" : "No decision yet (new ones appear here as they are made)."}</td></tr>`
            : rows.map(
                (e) => html`<tr key=${e.seq} data-seq=${e.seq} class=${selected?.seq === e.seq ? "selected" : ""}>
                  <td class="num">${e.seq}</td>
                  <td>${fmtTime(e.at)}</td>
                  <td>${e.op}</td>
                  <td>${e.result === "refused" ? html`<span class="badge bad">refused</span>` : e.result === "accepted" ? html`<span class="badge ok">accepted</span>` : e.result}</td>
                  <td>${e.op === "rollout" && e.rollout ? html`${e.rollout.cause} → ${e.rollout.status}` : html`<code>${e.reason}</code>`}</td>
                  <td class="mono" title=${e.appId}>${e.appId.slice(0, 8)}…</td>
                  <td class="mono">${e.uid}</td>
                  <td>${e.credential ?? "—"}${e.tokenVersion ? ` ${e.tokenVersion}` : ""}</td>
                  <td>${e.profile ?? "—"}</td>
                  <td>${e.result === "refused" && (e.op === "login" || e.op === "renewToken")
                    ? html`<button type="button" onClick=${() => setSelected(e)} aria-label=${`Explain decision ${e.seq}`}>Explain</button>`
                    : null}</td>
                </tr>`,
              )}
        </tbody>
      </table>
    </div>
    ${selected === null ? null : html`<${ExplainEntry} key=${selected.seq} entry=${selected} onClose=${() => setSelected(null)} />`}
  </section>`;
}

/**
 * The explanation of one journal entry: what was recorded, then `POST /admin/explain`. An App ID
 * login is explained at once; the journal keeps no token (only its tokenId), so a token login asks
 * for the token to be pasted.
 */
function ExplainEntry({ entry: e, onClose }) {
  const [token, setToken] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const heading = useRef(null);
  const needsToken = e.credential === "token";
  const run = async (t) => {
    setError(null);
    try {
      setResult(await api("POST", "/explain", { appId: e.appId, uid: e.uid, token: t, profile: e.profile ?? "rtm1" }));
    } catch (err) {
      setResult(null);
      setError(err);
    }
  };
  useEffect(() => {
    heading.current?.focus();
    if (!needsToken) run(null);
  }, []);
  return html`<section class="panel" aria-labelledby="explain-entry-title" id="explain-entry">
    <h3 id="explain-entry-title" ref=${heading} tabindex="-1">Explain decision #${e.seq}: ${e.op} of <code>${e.uid}</code> refused with <code>${e.reason}</code></h3>
    <table class="kv" aria-label="The recorded decision">
      <tbody>
        <tr><th scope="row">App ID</th><td class="mono">${e.appId}</td></tr>
        <tr><th scope="row">First failed check</th><td>${e.failedCheck === null ? "—" : html`<code>${e.failedCheck}</code>`}</td></tr>
        <tr><th scope="row">Credential</th><td>${e.credential ?? "—"}${e.tokenVersion ? ` (${e.tokenVersion})` : ""}${e.tokenId ? html`, tokenId <code>${e.tokenId}</code>` : null}</td></tr>
        <tr><th scope="row">Decided at</th><td>${fmtTime(e.at)} (simulated), profile ${e.profile ?? "—"}</td></tr>
        ${e.faultId ? html`<tr><th scope="row">Fault rule</th><td><code>${e.faultId}</code> decided it: explain below tells what the same login gets without the rule</td></tr>` : null}
        ${e.shadow ? html`<tr><th scope="row">Shadow (${e.shadow.target})</th><td>${e.shadow.result} <code>${e.shadow.reason}</code></td></tr>` : null}
        ${e.cohort ? html`<tr><th scope="row">Rollout cohort</th><td>stage ${e.cohort.stage} “${e.cohort.stageName}”</td></tr>` : null}
      </tbody>
    </table>
    ${needsToken
      ? html`<form class="stack" onSubmit=${(ev) => { ev.preventDefault(); run(token.trim() === "" ? null : token.trim()); }}>
          <p class="muted">The journal keeps no token, only its tokenId. Paste the token this login sent to see the checks and hints.</p>
          <label><span>Token of decision #${e.seq}</span><textarea class="token" name="explain-entry-token" value=${token} onInput=${(ev) => setToken(ev.currentTarget.value)} spellcheck="false"></textarea></label>
          <div class="actions"><button type="submit" class="primary">Explain</button></div>
        </form>`
      : null}
    <${ErrorNote} error=${error} />
    <div aria-live="polite">${result === null ? null : html`<h4>Explain now</h4><${ExplainView} explanation=${result} />`}</div>
    <div class="actions"><button type="button" onClick=${onClose}>Close the explanation</button></div>
  </section>`;
}

/** Unix seconds from a UTC date-time (`2024-06-10 12:00:00`, ISO with or without Z) or a number. */
function parseWhen(text) {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const iso = t.replace(" ", "T").replace(/ UTC$/i, "");
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/** The simulated clock: shown, frozen or thawed, advanced, set. */
function ClockPanel() {
  const [clock, setClock] = useState(null);
  const [error, setError] = useState(null);
  const [seconds, setSeconds] = useState("60");
  const [when, setWhen] = useState("");
  const [said, setSaid] = useState("");
  usePoll(async () => {
    try {
      setClock(await api("GET", "/clock"));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, 1000);
  const call = async (method, path, body, words) => {
    setError(null);
    try {
      const c = await api(method, path, body);
      setClock(c);
      setSaid(`${words}: ${fmtTime(c.now)}${c.frozen ? ", frozen" : ""}.`);
    } catch (err) {
      setError(err);
    }
  };
  const advance = (s) => call("POST", "/clock/advance", { seconds: s }, `Advanced by ${s} s`);
  return html`<section class="panel" aria-labelledby="clock-title">
    <h2 id="clock-title">Simulated clock</h2>
    <p>Now: <b id="clock-now">${clock === null ? "…" : fmtTime(clock.now)}</b> ${clock === null ? null : clock.frozen ? html`<span class="badge warn">frozen</span>` : html`<span class="badge ok">running</span>`}</p>
    <div class="actions">
      ${clock !== null && clock.frozen
        ? html`<button type="button" onClick=${() => call("PUT", "/clock", { frozen: false }, "Running again")}>Unfreeze</button>`
        : html`<button type="button" onClick=${() => call("PUT", "/clock", { frozen: true }, "Frozen")}>Freeze</button>`}
      <button type="button" onClick=${() => advance(60)}>+1 min</button>
      <button type="button" onClick=${() => advance(3600)}>+1 h</button>
      <button type="button" onClick=${() => advance(86400)}>+1 day</button>
    </div>
    <form class="inline" onSubmit=${(e) => { e.preventDefault(); advance(Number(seconds)); }}>
      <label>Advance by (seconds) <input name="advance-seconds" type="number" step="any" value=${seconds} onInput=${(e) => setSeconds(e.currentTarget.value)} required /></label>
      <button type="submit">Advance</button>
    </form>
    <form class="inline" onSubmit=${(e) => {
      e.preventDefault();
      const s = parseWhen(when);
      if (s === null) setError(new ApiError(400, "invalid_request", "give a UTC date-time such as 2030-01-01 00:00:00, or Unix seconds"));
      else call("PUT", "/clock", { now: s }, "Set");
    }}>
      <label>Set to (UTC date-time or Unix seconds) <input name="set-clock" value=${when} onInput=${(e) => setWhen(e.currentTarget.value)} placeholder="2030-01-01 00:00:00" required autocomplete="off" /></label>
      <button type="submit">Set</button>
    </form>
    <p role="status" class="status-line">${said}</p>
    <${ErrorNote} error=${error} />
    <p class="muted">Advancing fires every due token warning and expiry, in time order, before it answers.</p>
  </section>`;
}

/** A fault rule's trigger in words. */
function trigger(f) {
  const parts = [];
  if (f.nth !== null) parts.push(`from the ${f.nth}th`);
  if (f.probability !== null) parts.push(`p=${f.probability}${f.seed !== null ? ` seed ${f.seed}` : ""}`);
  if (f.count !== null) parts.push(`${f.count} time${f.count === 1 ? "" : "s"}`);
  if (f.expiresAt !== null) parts.push(`until ${fmtTime(f.expiresAt)}`);
  return parts.length === 0 ? "every time" : parts.join(", ");
}

function actionWords(a) {
  if (a.type === "delay") return `delay ${a.ms} ms`;
  if (a.type === "fail") return `fail with ${a.reason}`;
  return a.type.replace("_", " ");
}

const EMPTY_RULE = { op: "login", appId: "", uid: "", action: "fail", ms: "1000", reason: "fault_injected", nth: "", probability: "", count: "", ttlSeconds: "" };

/** Fault rules: list, add, remove. */
function FaultsPanel({ meta: m }) {
  const [faults, setFaults] = useState(null);
  const [error, setError] = useState(null);
  const [rule, setRule] = useState(EMPTY_RULE);
  const [said, setSaid] = useState("");
  const refresh = usePoll(async () => {
    try {
      setFaults((await api("GET", "/faults")).faults);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, 2000);
  const field = (name) => (e) => setRule({ ...rule, [name]: e.currentTarget.value });
  const add = async (e) => {
    e.preventDefault();
    setError(null);
    const action = rule.action === "delay" ? { type: "delay", ms: Number(rule.ms) } : rule.action === "fail" ? { type: "fail", reason: rule.reason } : { type: rule.action };
    const body = { op: rule.op, action };
    if (rule.appId.trim() !== "") body.appId = rule.appId.trim();
    if (rule.uid.trim() !== "") body.uid = rule.uid.trim();
    for (const k of ["nth", "probability", "count", "ttlSeconds"]) if (rule[k] !== "") body[k] = Number(rule[k]);
    try {
      const f = await api("POST", "/faults", body);
      setSaid(`Fault rule ${f.id} added.`);
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (id) => {
    setError(null);
    try {
      await api("DELETE", `/faults/${encodeURIComponent(id)}`);
      setSaid(`Fault rule ${id} removed.`);
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  return html`<section class="panel" aria-labelledby="faults-title">
    <h2 id="faults-title">Fault rules</h2>
    ${faults === null
      ? html`<p role="status">Loading…</p>`
      : faults.length === 0
        ? html`<p class="muted">No fault rule: every request is decided normally.</p>`
        : html`<table aria-label="Fault rules">
            <thead><tr><th scope="col">Id</th><th scope="col">Matches</th><th scope="col">When</th><th scope="col">Action</th><th scope="col" class="num">Seen / fired</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
            <tbody>
              ${faults.map(
                (f) => html`<tr key=${f.id}>
                  <td><code>${f.id}</code></td>
                  <td>${Array.isArray(f.op) ? f.op.join(", ") : f.op}${f.appId ? html` of <code>${f.appId.slice(0, 8)}…</code>` : null}${f.uid ? html` uid <code>${f.uid}</code>` : null}</td>
                  <td>${trigger(f)}</td>
                  <td>${actionWords(f.action)}</td>
                  <td class="num">${f.seen} / ${f.fired}</td>
                  <td><button type="button" class="danger" onClick=${() => remove(f.id)} aria-label=${`Remove fault rule ${f.id}`}>Remove</button></td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    <h3>Add a rule</h3>
    <form class="stack" onSubmit=${add}>
      <div class="inline">
        <label>Operation <select name="fault-op" value=${rule.op} onChange=${field("op")}>${(m?.faultOps ?? ["connect", "login", "renewToken", "logout"]).map((o) => html`<option value=${o}>${o}</option>`)}</select></label>
        <label>Action <select name="fault-action" value=${rule.action} onChange=${field("action")}>${(m?.faultActions ?? ["delay", "fail", "never_reply", "drop", "kick"]).map((a) => html`<option value=${a}>${a}</option>`)}</select></label>
        ${rule.action === "delay" ? html`<label>Delay (ms) <input name="fault-ms" type="number" min="0" max=${m?.maxFaultDelayMs ?? 600000} value=${rule.ms} onInput=${field("ms")} required /></label>` : null}
        ${rule.action === "fail" ? html`<label>Reason <select name="fault-reason" value=${rule.reason} onChange=${field("reason")}>${(m?.failureReasons ?? ["fault_injected"]).map((r) => html`<option value=${r}>${r}</option>`)}</select></label>` : null}
      </div>
      <div class="inline">
        <label>App ID (optional) <input name="fault-appId" value=${rule.appId} onInput=${field("appId")} size="20" autocomplete="off" /></label>
        <label>uid glob or /regex/ (optional) <input name="fault-uid" value=${rule.uid} onInput=${field("uid")} size="14" autocomplete="off" /></label>
      </div>
      <div class="inline">
        <label>From the nth (optional) <input name="fault-nth" type="number" min="1" value=${rule.nth} onInput=${field("nth")} size="5" /></label>
        <label>Probability (optional) <input name="fault-probability" type="number" min="0" max="1" step="any" value=${rule.probability} onInput=${field("probability")} size="5" /></label>
        <label>At most (times) <input name="fault-count" type="number" min="1" value=${rule.count} onInput=${field("count")} size="5" /></label>
        <label>For (seconds) <input name="fault-ttl" type="number" min="1" value=${rule.ttlSeconds} onInput=${field("ttlSeconds")} size="6" /></label>
      </div>
      <div class="actions"><button type="submit" class="primary">Add fault rule</button></div>
    </form>
    <p role="status" class="status-line">${said}</p>
    <${ErrorNote} error=${error} />
  </section>`;
}
