// Live (docs/console.md, "Live updates"): accepts and refusals per second by reason (uPlot), with the
// active sessions; the journal tail with filters and one-click explain with hints; the simulated
// clock; fault rules. Everything here polls the admin API while the page is open and visible, and
// stops when it is left: the gateway runs nothing for the console.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { api, ApiError, meta, query } from "./api.js";
import { ErrorNote, ExplainView, fmtTime, html, Short, StaleNote, staleClass, useFreshness, usePoll } from "./ui.js";

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
  const fresh = useFreshness();
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
      fresh.ok();
    } catch (err) {
      fresh.fail(err);
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
  return html`<section class=${staleClass("panel", fresh)} aria-labelledby="rates-title">
    <h2 id="rates-title">Accepts and refusals per second</h2>
    <form class="inline" onSubmit=${(e) => e.preventDefault()}>
      <label>Operation
        <select name="rate-op" value=${op} onChange=${(e) => changeOp(e.currentTarget.value)}>
          <option value="login">login</option><option value="renewToken">renewToken</option><option value="logout">logout</option><option value="any">all operations</option>
        </select>
      </label>
      <span class="muted">this gateway's decisions (GET /admin/decision-counts, read once a second)</span>
    </form>
    <${StaleNote} fresh=${fresh} />
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

/**
 * How the App ID filter is applied: a whole App ID (32 hex characters) by the admin API; the first
 * characters of one (what the table shows) here, on the rows the API returns.
 */
function appIdFilter(text) {
  const t = text.trim().toLowerCase();
  if (t === "") return { server: undefined, prefix: null, error: null };
  if (!/^[0-9a-f]+$/.test(t) || t.length > 32) return { server: undefined, prefix: null, error: "An App ID is up to 32 hexadecimal characters (0–9, a–f): give the whole App ID, or its first characters." };
  return t.length === 32 ? { server: t, prefix: null, error: null } : { server: undefined, prefix: t, error: null };
}

/** The journal tail: newest first, filtered, polled with `since`; refused logins explained in one click. */
function JournalTail({ meta: m }) {
  const [draft, setDraft] = useState(EMPTY_FILTER);
  const [filter, setFilter] = useState(EMPTY_FILTER);
  const [filterError, setFilterError] = useState(null);
  const [rows, setRows] = useState([]);
  const fresh = useFreshness();
  const [disabled, setDisabled] = useState(false);
  const [selected, setSelected] = useState(null);
  const lastSeq = useRef(null);

  usePoll(
    async () => {
      try {
        const since = lastSeq.current;
        const { server, prefix } = appIdFilter(filter.appId);
        const limit = since === null && prefix === null ? 50 : TAIL_ROWS;
        const page = await api("GET", `/journal${query({ ...filter, appId: server, since: since ?? undefined, limit })}`);
        fresh.ok();
        setDisabled(false);
        if (since !== null && page.lastSeq < since) {
          // The journal was cleared (POST /admin/reset): start over.
          lastSeq.current = null;
          setRows([]);
          return;
        }
        lastSeq.current = page.lastSeq;
        const entries = prefix === null ? page.entries : page.entries.filter((e) => e.appId.startsWith(prefix));
        if (entries.length > 0) setRows((old) => [...entries, ...(since === null ? [] : old)].slice(0, TAIL_ROWS));
        else if (since === null) setRows([]);
      } catch (err) {
        if (err instanceof ApiError && err.code === "journal_disabled") {
          setDisabled(true);
          fresh.ok();
        } else fresh.fail(err);
      }
    },
    1000,
    [filter],
  );

  const apply = (e) => {
    e.preventDefault();
    const problem = appIdFilter(draft.appId).error;
    setFilterError(problem);
    if (problem !== null) {
      document.getElementById("filter-appId")?.focus();
      return;
    }
    lastSeq.current = null;
    setRows([]);
    setFilter({ ...draft });
  };
  const field = (name) => (e) => setDraft({ ...draft, [name]: e.currentTarget.value });
  const options = (list) => html`<option value="">any</option>${(list ?? []).map((v) => html`<option value=${v}>${v}</option>`)}`;
  const filtered = Object.values(filter).some((v) => v !== "");

  return html`<section class=${staleClass("panel", fresh)} aria-labelledby="journal-title">
    <h2 id="journal-title">Journal tail</h2>
    ${disabled
      ? html`<div class="note" role="status">The journal is off on this gateway (<code>JOURNAL_SIZE=0</code>): there is no decision to show. The chart above still works.</div>`
      : null}
    <form class="inline" onSubmit=${apply} aria-label="Journal filters">
      <label>App ID (whole, or its first characters) <input id="filter-appId" name="filter-appId" value=${draft.appId} onInput=${field("appId")} size="20" autocomplete="off" spellcheck=${false} aria-invalid=${filterError ? "true" : undefined} aria-describedby=${filterError ? "filter-appId-error" : undefined} /></label>
      <label>uid <input name="filter-uid" value=${draft.uid} onInput=${field("uid")} size="12" autocomplete="off" spellcheck=${false} /></label>
      <label>Operation <select name="filter-op" value=${draft.op} onChange=${field("op")}>${options(m?.journalOps)}</select></label>
      <label>Result <select name="filter-result" value=${draft.result} onChange=${field("result")}>${options(m?.journalResults)}</select></label>
      <label>Reason <select name="filter-reason" value=${draft.reason} onChange=${field("reason")}>${options(m?.reasons)}</select></label>
      <button type="submit">Apply filters</button>
      <button type="button" onClick=${() => { setDraft(EMPTY_FILTER); setFilterError(null); lastSeq.current = null; setRows([]); setFilter(EMPTY_FILTER); }}>Clear</button>
    </form>
    ${filterError ? html`<p class="field-error" id="filter-appId-error">${filterError}</p>` : null}
    <${StaleNote} fresh=${fresh} />
    <div class="journal-wrap" tabindex="0" role="region" aria-label="Journal entries, newest first">
      <table id="journal">
        <thead><tr><th scope="col" class="num">#</th><th scope="col">Simulated time</th><th scope="col">Op</th><th scope="col">Result</th><th scope="col">Reason</th><th scope="col">App ID</th><th scope="col">uid</th><th scope="col">Credential</th><th scope="col">Profile</th><th scope="col"><span class="visually-hidden">Explain</span></th></tr></thead>
        <tbody>
          ${rows.length === 0
            ? html`<tr><td colspan="10" class="muted">${disabled
                ? "journal off"
                : filtered
                  ? "No decision matches these filters (new ones that match appear here as they are made)."
                  : "No decision yet (new ones appear here as they are made)."}</td></tr>`
            : rows.map(
                (e) => html`<tr key=${e.seq} data-seq=${e.seq} class=${selected?.seq === e.seq ? "selected" : ""}>
                  <td class="num">${e.seq}</td>
                  <td>${fmtTime(e.at)}</td>
                  <td>${e.op}</td>
                  <td>${e.result === "refused" ? html`<span class="badge bad">refused</span>` : e.result === "accepted" ? html`<span class="badge ok">accepted</span>` : e.result}</td>
                  <td>${e.op === "rollout" && e.rollout ? html`${e.rollout.cause.replace(/_/g, " ")} → ${e.rollout.status.replace(/_/g, " ")}` : html`<code>${e.reason}</code>`}</td>
                  <td><${Short} text=${e.appId} /></td>
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
 * Whether a pasted token is the one a journal entry saw: both `tokenId`s (docs/tokens.md, "Token
 * identity"), the journal's and the one explain computed for the pasted token.
 */
function TokenMatch({ entry: e, explained: x }) {
  if (e.tokenId === null) {
    return html`<p class="note" role="status">The journal recorded no tokenId for decision #${e.seq} (the token could not be decoded, or a check before the token refused it), so the console cannot tell whether the pasted token is the one it saw.</p>`;
  }
  if (x.tokenId === null) {
    return html`<p class="note" role="status" data-token-match="undecodable">The pasted token cannot be decoded, so it has no tokenId to compare with the one decision #${e.seq} recorded (<code>${e.tokenId}</code>).</p>`;
  }
  if (x.tokenId === e.tokenId) {
    return html`<p class="status-line" role="status" data-token-match="same">The same token: its tokenId <code>${x.tokenId}</code> is the one decision #${e.seq} recorded.</p>`;
  }
  return html`<div class="alert" role="alert" data-token-match="different"><b>This is not the token decision #${e.seq} saw.</b> The pasted token's tokenId is <code>${x.tokenId}</code>; the journal recorded <code>${e.tokenId}</code>. The explanation below is of the pasted token, not of that login.</div>`;
}

/**
 * The explanation of one journal entry: what was recorded, then `POST /admin/explain` of the same
 * login now. What explain needs is the credential the login sent:
 * - an App ID login (credential `appid`) is explained at once;
 * - a token login: the journal keeps no token, only its tokenId, so the token is pasted, and its
 *   tokenId is compared with the journal's;
 * - no credential recorded (a fault rule, or a check before the credential, decided it): the
 *   console does not guess; the token is pasted, or the login is explained as one without a token,
 *   said as an assumption.
 */
function ExplainEntry({ entry: e, onClose }) {
  const [token, setToken] = useState("");
  /** { x, with: "token" | "appid" } */
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const heading = useRef(null);
  const credential = e.credential === "token" ? "token" : e.credential === "appid" ? "appid" : "unknown";
  const run = async (t) => {
    setError(null);
    try {
      const x = await api("POST", "/explain", { appId: e.appId, uid: e.uid, token: t, profile: e.profile ?? "rtm1" });
      setResult({ x, with: t === null ? "appid" : "token" });
    } catch (err) {
      setResult(null);
      setError(err);
    }
  };
  useEffect(() => {
    heading.current?.focus();
    if (credential === "appid") run(null);
  }, []);
  const pasted = token.trim() === "" ? null : token.trim();
  const unknownWhy = e.faultId
    ? `Fault rule ${e.faultId} decided this ${e.op} before the checks ran, so the journal recorded no credential: whether it sent a token is not known.`
    : `This ${e.op} was refused${e.failedCheck ? ` at the check ${e.failedCheck}` : ""} before its credential was read, so the journal does not say whether it sent a token.`;
  return html`<section class="panel" aria-labelledby="explain-entry-title" id="explain-entry">
    <h3 id="explain-entry-title" ref=${heading} tabindex="-1">Explain decision #${e.seq}: ${e.op} of <code>${e.uid}</code> refused with <code>${e.reason}</code></h3>
    <table class="kv wrap" aria-label="The recorded decision">
      <tbody>
        <tr><th scope="row">App ID</th><td class="mono">${e.appId}</td></tr>
        <tr><th scope="row">First failed check</th><td>${e.failedCheck === null ? "—" : html`<code>${e.failedCheck}</code>`}</td></tr>
        <tr><th scope="row">Credential</th><td>${e.credential ?? "not recorded"}${e.tokenVersion ? ` (${e.tokenVersion})` : ""}${e.tokenId ? html`, tokenId <code>${e.tokenId}</code>` : null}</td></tr>
        <tr><th scope="row">Decided at</th><td>${fmtTime(e.at)} (simulated), profile ${e.profile ?? "—"}</td></tr>
        ${e.faultId ? html`<tr><th scope="row">Fault rule</th><td><code>${e.faultId}</code> decided it: explain below tells what the same login gets without the rule</td></tr>` : null}
        ${e.shadow ? html`<tr><th scope="row">Shadow (${e.shadow.target})</th><td>${e.shadow.result} <code>${e.shadow.reason}</code></td></tr>` : null}
        ${e.cohort ? html`<tr><th scope="row">Rollout cohort</th><td>stage ${e.cohort.stage} “${e.cohort.stageName}”</td></tr>` : null}
      </tbody>
    </table>
    ${credential === "appid"
      ? null
      : html`<form class="stack" onSubmit=${(ev) => { ev.preventDefault(); if (pasted !== null) run(pasted); }}>
          ${credential === "token"
            ? html`<p class="muted">The journal keeps no token, only its tokenId. Paste the token this login sent to see the checks and hints; the console checks that it is the same token.</p>`
            : html`<p class="note" id="explain-entry-unknown">${unknownWhy} Paste the token it sent, or explain it as a login without a token.</p>`}
          <label><span>Token of decision #${e.seq}</span><textarea class="token" name="explain-entry-token" value=${token} onInput=${(ev) => setToken(ev.currentTarget.value)} spellcheck=${false}></textarea></label>
          <div class="actions">
            <button type="submit" class="primary" disabled=${pasted === null}>Explain</button>
            ${credential === "unknown" ? html`<button type="button" onClick=${() => run(null)}>Explain as a login without a token</button>` : null}
          </div>
        </form>`}
    <${ErrorNote} error=${error} />
    <div aria-live="polite">${result === null
      ? null
      : html`<h4>${result.with === "token" ? "Explain now, with the pasted token" : credential === "unknown" ? "Explain now, as a login without a token (an assumption: the journal does not say)" : "Explain now"}</h4>
          ${result.with === "token" ? html`<${TokenMatch} entry=${e} explained=${result.x} />` : null}
          <${ExplainView} explanation=${result.x} />`}</div>
    <div class="actions"><button type="button" onClick=${onClose}>Close the explanation</button></div>
  </section>`;
}

/** The simulated clock's range: Unix seconds up to the end of the u32 range (the admin API's). */
const UNIX_SECONDS_MAX = 0xffff_ffff;
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/**
 * What "Set to" means, strictly: `{ seconds }` or `{ error }` (a sentence). Accepted are Unix
 * seconds as a whole number ≥ 0, and an ISO 8601 date-time in UTC, `YYYY-MM-DD`, optionally
 * followed by `T` or a space and `HH:MM[:SS[.fff]]`, optionally ending in `Z`, ` UTC` or an offset
 * `±HH:MM`. A date-time must exist as written (no 2026-02-30, no 24:00): it is read back and
 * compared field by field. Both end up in 0 … 4294967295 (1970 … 2106).
 */
export function parseWhen(text) {
  const t = text.trim();
  const hint = "give a UTC date-time such as 2030-01-01 00:00:00 (ISO 8601; Z or an offset like +02:00 may follow), or Unix seconds as a whole number";
  if (t === "") return { error: `Empty: ${hint}.` };
  if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(t)) {
    if (!/^\d+$/.test(t)) return { error: `“${t}” is not Unix seconds: they are a whole number, 0 or more (0 is 1970-01-01 00:00:00 UTC).` };
    const n = Number(t);
    if (n > UNIX_SECONDS_MAX) return { error: `${t} is after the clock's last second, ${UNIX_SECONDS_MAX} (2106-02-07 06:28:15 UTC).` };
    return { seconds: n };
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (m === null) return { error: `“${t}” is not a date-time: ${hint}.` };
  const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => (m[i] === undefined ? 0 : Number(m[i])));
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0"));
  if (h > 23 || mi > 59 || sec > 59) return { error: `“${t}” is not a time of day: hours are 00 to 23, minutes and seconds 00 to 59.` };
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms));
  if (y < 1970 || at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) {
    if (y < 1970) return { error: `${m[1]} is before 1970: the clock counts Unix seconds from 1970-01-01 00:00:00 UTC.` };
    if (mo < 1 || mo > 12) return { error: `“${t}” has no month ${mo}: months are 01 to 12.` };
    const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    return { error: `“${t}” is not a date: ${MONTHS[mo - 1]} ${y} has ${days} days.` };
  }
  if (at.getUTCHours() !== h || at.getUTCMinutes() !== mi || at.getUTCSeconds() !== sec) return { error: `“${t}” does not read back as the same time.` };
  let offset = 0;
  const zone = m[8];
  if (zone !== undefined && !/^(z|utc)$/i.test(zone)) {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    const [oh, om] = [Number(z[2]), Number(z[3])];
    if (oh > 23 || om > 59) return { error: `“${zone}” is not an offset: ±HH:MM, hours 00 to 23.` };
    offset = (z[1] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const seconds = at.getTime() / 1000 - offset;
  if (seconds < 0) return { error: `“${t}” is before 1970-01-01 00:00:00 UTC, the clock's first second.` };
  if (seconds > UNIX_SECONDS_MAX) return { error: `“${t}” is after the clock's last second (2106-02-07 06:28:15 UTC).` };
  return { seconds };
}

/** Whether a success line about the clock (`said`: the clock it reported, and when) still describes `clock`. */
function stillTrue(said, clock) {
  if (said.frozen !== clock.frozen) return false;
  const expected = said.frozen ? said.now : said.now + (Date.now() - said.wall) / 1000;
  return Math.abs(clock.now - expected) <= 2;
}

/**
 * The simulated clock: shown, frozen or thawed, advanced, set, or back to real time. An error of an
 * action stays until the next action (the once-a-second reading does not clear it); a success line
 * goes as soon as the clock is no longer as it said (someone else moved it).
 */
function ClockPanel() {
  const [clock, setClock] = useState(null);
  const fresh = useFreshness();
  /** The refusal of the last action; kept until the next one. */
  const [actionError, setActionError] = useState(null);
  /** The inline error of "Set to" or "Advance by": { field, message }; kept until the next action. */
  const [inputError, setInputError] = useState(null);
  const [seconds, setSeconds] = useState("60");
  const [when, setWhen] = useState("");
  /** The last action's result: { text, now, frozen, wall }. */
  const [said, setSaid] = useState(null);
  usePoll(async () => {
    try {
      const c = await api("GET", "/clock");
      setClock(c);
      setSaid((s) => (s !== null && !stillTrue(s, c) ? null : s));
      fresh.ok();
    } catch (err) {
      fresh.fail(err);
    }
  }, 1000);
  const begin = () => {
    setActionError(null);
    setInputError(null);
    setSaid(null);
  };
  const call = async (method, path, body, words) => {
    begin();
    try {
      const c = await api(method, path, body);
      setClock(c);
      setSaid({ text: `${words}: ${fmtTime(c.now)}, ${c.frozen ? "frozen" : "running"}.`, now: c.now, frozen: c.frozen, wall: Date.now() });
    } catch (err) {
      setActionError(err);
    }
  };
  const advance = (s) => call("POST", "/clock/advance", { seconds: s }, `Advanced by ${s} s`);
  const submitAdvance = (e) => {
    e.preventDefault();
    const n = Number(seconds);
    if (seconds.trim() === "" || !Number.isFinite(n) || Math.abs(n) > UNIX_SECONDS_MAX) {
      begin();
      setInputError({ field: "advance", message: `Advance by a number of seconds between -${UNIX_SECONDS_MAX} and ${UNIX_SECONDS_MAX}.` });
      return;
    }
    advance(n);
  };
  const submitSet = (e) => {
    e.preventDefault();
    const r = parseWhen(when);
    if (r.error !== undefined) {
      begin();
      setInputError({ field: "set", message: r.error });
      document.getElementById("set-clock")?.focus();
      return;
    }
    call("PUT", "/clock", { now: r.seconds }, "Set");
  };
  const invalid = (field) => (inputError?.field === field ? { "aria-invalid": "true", "aria-describedby": `${field}-clock-error` } : {});
  return html`<section class=${staleClass("panel", fresh)} aria-labelledby="clock-title">
    <h2 id="clock-title">Simulated clock</h2>
    <${StaleNote} fresh=${fresh} />
    <p>Now: <b id="clock-now">${clock === null ? "…" : fmtTime(clock.now)}</b> ${clock === null ? null : clock.frozen ? html`<span class="badge warn">frozen</span>` : html`<span class="badge ok">running</span>`}</p>
    <div class="actions">
      ${clock !== null && clock.frozen
        ? html`<button type="button" onClick=${() => call("PUT", "/clock", { frozen: false }, "Running again")}>Unfreeze</button>`
        : html`<button type="button" onClick=${() => call("PUT", "/clock", { frozen: true }, "Frozen")}>Freeze</button>`}
      <button type="button" onClick=${() => advance(60)}>+1 min</button>
      <button type="button" onClick=${() => advance(3600)}>+1 h</button>
      <button type="button" onClick=${() => advance(86400)}>+1 day</button>
      <button type="button" onClick=${() => call("PUT", "/clock", { now: Date.now() / 1000, frozen: false }, "Back to real time")}>Back to real time</button>
    </div>
    <form class="inline" onSubmit=${submitAdvance} novalidate>
      <label>Advance by (seconds) <input id="advance-clock" name="advance-seconds" type="number" step="any" value=${seconds} onInput=${(e) => setSeconds(e.currentTarget.value)} required ...${invalid("advance")} /></label>
      <button type="submit">Advance</button>
    </form>
    ${inputError?.field === "advance" ? html`<p class="field-error" id="advance-clock-error" role="alert">${inputError.message}</p>` : null}
    <form class="inline" onSubmit=${submitSet} novalidate>
      <label>Set to (UTC date-time or Unix seconds) <input id="set-clock" name="set-clock" value=${when} onInput=${(e) => setWhen(e.currentTarget.value)} placeholder="2030-01-01 00:00:00" required autocomplete="off" spellcheck=${false} ...${invalid("set")} /></label>
      <button type="submit">Set</button>
    </form>
    ${inputError?.field === "set" ? html`<p class="field-error" id="set-clock-error" role="alert">${inputError.message}</p>` : null}
    <p role="status" class="status-line" id="clock-said">${said === null ? "" : said.text}</p>
    <${ErrorNote} error=${actionError} id="clock-error" />
    <p class="muted">Advancing fires every due token warning and expiry, in time order, before it answers. “Back to real time” sets the clock to this browser's time and lets it run.</p>
  </section>`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st, … */
function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th";
  return `${n}${suffix}`;
}

/** A fault rule's trigger in words. */
function trigger(f) {
  const parts = [];
  if (f.nth !== null) parts.push(`from the ${ordinal(f.nth)}`);
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

/** Lines about rules that left the list by themselves, newest first; at most this many are kept. */
const GONE_LINES = 5;

/** Why a rule seen before is no longer listed, in words (the admin API removes a used-up or expired rule). */
function goneWords(f, clockNow) {
  if (f.count !== null) return `Fault rule ${f.id} reached its limit (${f.count} time${f.count === 1 ? "" : "s"}) and was removed.`;
  if (f.expiresAt !== null && clockNow !== null && clockNow >= f.expiresAt) return `Fault rule ${f.id} expired (${fmtTime(f.expiresAt)}) and was removed.`;
  return `Fault rule ${f.id} was removed (by another admin, or a reset).`;
}

/** Fault rules: list, add, remove; a rule that goes by itself (used up, expired) says so. */
function FaultsPanel({ meta: m }) {
  const [faults, setFaults] = useState(null);
  const fresh = useFreshness();
  const [error, setError] = useState(null);
  const [appIdError, setAppIdError] = useState(null);
  const [rule, setRule] = useState(EMPTY_RULE);
  const [said, setSaid] = useState("");
  const [gone, setGone] = useState([]);
  const seen = useRef(new Map());
  const removedHere = useRef(new Set());
  const refresh = usePoll(async () => {
    try {
      const [list, clock] = await Promise.all([api("GET", "/faults"), api("GET", "/clock").catch(() => null)]);
      const now = new Map(list.faults.map((f) => [f.id, f]));
      const lines = [];
      for (const [id, f] of seen.current) {
        if (!now.has(id) && !removedHere.current.has(id)) lines.push(goneWords(f, clock?.now ?? null));
      }
      if (lines.length > 0) setGone((old) => [...lines, ...old].slice(0, GONE_LINES));
      seen.current = now;
      removedHere.current.clear();
      setFaults(list.faults);
      fresh.ok();
    } catch (err) {
      fresh.fail(err);
    }
  }, 2000);
  const field = (name) => (e) => setRule({ ...rule, [name]: e.currentTarget.value });
  const add = async (e) => {
    e.preventDefault();
    setError(null);
    setSaid("");
    const appId = rule.appId.trim().toLowerCase();
    if (appId !== "" && !/^[0-9a-f]{32}$/.test(appId)) {
      setAppIdError("An App ID is 32 hexadecimal characters (0–9, a–f), or leave it empty for every project.");
      document.getElementById("fault-appId")?.focus();
      return;
    }
    setAppIdError(null);
    const action = rule.action === "delay" ? { type: "delay", ms: Number(rule.ms) } : rule.action === "fail" ? { type: "fail", reason: rule.reason } : { type: rule.action };
    const body = { op: rule.op, action };
    if (appId !== "") body.appId = appId;
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
      removedHere.current.add(id);
      setSaid(`Fault rule ${id} removed.`);
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  return html`<section class=${staleClass("panel", fresh)} aria-labelledby="faults-title">
    <h2 id="faults-title">Fault rules</h2>
    <${StaleNote} fresh=${fresh} />
    ${faults === null
      ? fresh.error === null ? html`<p role="status">Loading…</p>` : null
      : faults.length === 0
        ? html`<p class="muted">No fault rule: every request is decided normally.</p>`
        : html`<div class="table-scroll"><table aria-label="Fault rules">
            <thead><tr><th scope="col">Id</th><th scope="col">Matches</th><th scope="col">When</th><th scope="col">Action</th><th scope="col" class="num">Seen / fired</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
            <tbody>
              ${faults.map(
                (f) => html`<tr key=${f.id}>
                  <td><code>${f.id}</code></td>
                  <td>${Array.isArray(f.op) ? f.op.join(", ") : f.op}${f.appId ? html` of <${Short} text=${f.appId} />` : null}${f.uid ? html` uid <code>${f.uid}</code>` : null}</td>
                  <td>${trigger(f)}</td>
                  <td>${actionWords(f.action)}</td>
                  <td class="num">${f.seen} / ${f.fired}</td>
                  <td><button type="button" class="danger" onClick=${() => remove(f.id)} aria-label=${`Remove fault rule ${f.id}`}>Remove</button></td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
    <p class="muted">A rule with a limit (“at most N times”) or a duration is removed by the gateway once it is used up or expired; this panel then says which rule went, and why.</p>
    ${gone.length === 0 ? null : html`<ul class="gone" aria-label="Rules no longer listed">${gone.map((line) => html`<li>${line}</li>`)}</ul>`}
    <h3>Add a rule</h3>
    <form class="stack" onSubmit=${add}>
      <div class="inline">
        <label>Operation <select name="fault-op" value=${rule.op} onChange=${field("op")}>${(m?.faultOps ?? ["connect", "login", "renewToken", "logout"]).map((o) => html`<option value=${o}>${o}</option>`)}</select></label>
        <label>Action <select name="fault-action" value=${rule.action} onChange=${field("action")}>${(m?.faultActions ?? ["delay", "fail", "never_reply", "drop", "kick"]).map((a) => html`<option value=${a}>${a}</option>`)}</select></label>
        ${rule.action === "delay" ? html`<label>Delay (ms) <input name="fault-ms" type="number" min="0" max=${m?.maxFaultDelayMs ?? 600000} value=${rule.ms} onInput=${field("ms")} required /></label>` : null}
        ${rule.action === "fail" ? html`<label>Reason <select name="fault-reason" value=${rule.reason} onChange=${field("reason")}>${(m?.failureReasons ?? ["fault_injected"]).map((r) => html`<option value=${r}>${r}</option>`)}</select></label>` : null}
      </div>
      <div class="inline">
        <label>App ID (optional, 32 hex characters) <input id="fault-appId" name="fault-appId" value=${rule.appId} onInput=${field("appId")} size="20" autocomplete="off" spellcheck=${false} aria-invalid=${appIdError ? "true" : undefined} aria-describedby=${appIdError ? "fault-appId-error" : undefined} /></label>
        <label>uid glob or /regex/ (optional) <input name="fault-uid" value=${rule.uid} onInput=${field("uid")} size="14" autocomplete="off" spellcheck=${false} /></label>
      </div>
      ${appIdError ? html`<p class="field-error" id="fault-appId-error" role="alert">${appIdError}</p>` : null}
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
