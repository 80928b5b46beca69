// Shared pieces of the console's pages: the dialog, masked secrets with reveal and copy, error
// notes, time formatting, the polling hook and the explain view.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { authState } from "./api.js";

/** Tagged templates for Preact (htm). */
export const html = htm.bind(h);

/** Unix seconds as `YYYY-MM-DD HH:MM:SS UTC` (the simulated clock is shown in UTC). */
export function fmtTime(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  return `${new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "")} UTC`;
}

/** A duration in seconds as `1 d 2 h`, `3 h 5 min`, `4 min 10 s` or `12 s`. */
export function fmtDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return hh > 0 ? `${d} d ${hh} h` : `${d} d`;
  if (hh > 0) return m > 0 ? `${hh} h ${m} min` : `${hh} h`;
  if (m > 0) return r > 0 ? `${m} min ${r} s` : `${m} min`;
  return `${r} s`;
}

/**
 * The gateway's sentences give durations in seconds ("the last 3600 s"); the console's own words use
 * {@link fmtDuration}. This rewrites every "N s" of 60 or more in `text` the console's way, so a
 * dialog speaks one unit style.
 */
export function sameUnits(text) {
  return typeof text !== "string" ? text : text.replace(/\b(\d+) s\b/g, (all, n) => (Number(n) >= 60 ? fmtDuration(Number(n)) : all));
}

/** `n` of a noun: "0 logins", "1 login", "3 logins". */
export function fmtCount(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Logins a step would refuse: "0 logins", else "3 logins (12.5 %)". */
export function fmtRefusals(n, share) {
  return n === 0 ? "0 logins" : `${fmtCount(n, "login")} (${fmtShare(share)})`;
}

/** A wall-clock time of this browser as `HH:MM:SS` (local time), for "last updated". */
export function fmtWall(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((v) => String(v).padStart(2, "0")).join(":");
}

/** `text` cut to `n` characters with "…", only when it is longer; the full text goes in a title. */
export function Short({ text, n = 8 }) {
  if (typeof text !== "string" || text === "") return html`<span class="mono">—</span>`;
  return text.length > n + 1 ? html`<span class="mono" title=${text}>${text.slice(0, n)}…</span>` : html`<span class="mono">${text}</span>`;
}

/** A share 0..1 as a percent with one decimal. */
export function fmtShare(share) {
  return `${(share * 100).toFixed(1)} %`;
}

/** The words of each auth mode's badge. */
export const MODE_WORDS = { appid: "App ID", either: "either", token: "token" };
/** One sentence per auth mode. */
export const MODE_SENTENCES = {
  appid: "App ID only: logins need no token; a token is refused (token_not_accepted).",
  either: "Either: App ID logins and token logins are both accepted (the migration window).",
  token: "Token only: every login needs a token signed with an active certificate.",
};

/** The auth mode badge: App ID / either / token. */
export function ModeBadge({ mode }) {
  return html`<span class=${`badge mode-${mode}`} title=${MODE_SENTENCES[mode] ?? ""}>${MODE_WORDS[mode] ?? mode}</span>`;
}

/**
 * Calls `fn` now and then every `ms` while the page is visible (and the admin API is not waiting for
 * a new token), each call after the previous one settled; stops when the component unmounts
 * (nothing polls once the console is closed or left). Returns a function that polls at once.
 */
export function usePoll(fn, ms, deps = []) {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const kick = useRef(() => {});
  useEffect(() => {
    let stopped = false;
    let timer = null;
    let running = false;
    const run = async () => {
      if (stopped || running) return;
      clearTimeout(timer);
      // A hidden tab does not poll; nor does a page waiting for a new admin token (each call would be a 401).
      if (document.visibilityState === "hidden" || authState().state === "token_needed") {
        timer = setTimeout(run, ms);
        return;
      }
      running = true;
      try {
        await fnRef.current();
      } catch {
        // The callback shows its own errors; polling goes on.
      } finally {
        running = false;
      }
      if (!stopped) timer = setTimeout(run, ms);
    };
    kick.current = run;
    const onVisible = () => {
      if (document.visibilityState === "visible") run();
    };
    document.addEventListener("visibilitychange", onVisible);
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, deps);
  return useCallback(() => kick.current(), []);
}

/** An admin API refusal or a network failure, as an alert with its code. */
export function ErrorNote({ error, id }) {
  if (!error) return null;
  const code = error.code ? html`<code>${error.code}</code>: ` : null;
  return html`<div class="alert" role="alert" id=${id}>${code}${error.message}</div>`;
}

/**
 * Whether a panel's polled figures are current: `lastOk` (browser wall-clock ms of the last read
 * that answered, or null) and `error` (the last read's failure, null once one answers again).
 * `ok()` and `fail(err)` record a read; `stale` is true while figures are shown that the last read
 * could not refresh.
 */
export function useFreshness() {
  const [state, setState] = useState({ lastOk: null, error: null });
  const ok = useCallback(() => setState({ lastOk: Date.now(), error: null }), []);
  const fail = useCallback((error) => setState((s) => ({ lastOk: s.lastOk, error })), []);
  return { ...state, ok, fail, stale: state.error !== null && state.lastOk !== null };
}

/** `base` plus ` stale` while `fresh` is stale: the panel's figures are dimmed. */
export function staleClass(base, fresh) {
  return fresh.stale ? `${base} stale` : base;
}

/**
 * What a panel says when its last read failed: with figures on screen, "last updated HH:MM:SS" and
 * why they are not current (the gateway did not answer, or the admin API's refusal); without, the
 * error itself.
 */
export function StaleNote({ fresh }) {
  if (fresh.error === null) return null;
  if (fresh.lastOk === null) return html`<${ErrorNote} error=${fresh.error} />`;
  const e = fresh.error;
  const why =
    e.code === "network_error" || e.status === 0
      ? "the gateway did not answer"
      : html`the last read was refused: ${e.code ? html`<code>${e.code}</code>: ` : null}${e.message}`;
  return html`<p class="note stale-note" role="status">Last updated ${fmtWall(fresh.lastOk)}; ${why}. What is shown here may no longer be true.</p>`;
}

/**
 * Where the focus goes when a dialog closes: the element that had it when the dialog opened (the
 * button that opened it), else, when that button is gone (the step it offered was taken), the
 * heading of the section it was in, else the page's main region.
 */
function restoreFocus(opener) {
  const { element, section } = opener;
  if (element instanceof HTMLElement && element.isConnected) {
    element.focus();
    return;
  }
  const heading = section instanceof HTMLElement && section.isConnected ? section.querySelector("h2, h3") : null;
  const target = heading ?? document.getElementById("main");
  if (target === null) return;
  if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  target.focus();
}

/**
 * A modal dialog (the native <dialog>: focus is kept inside, Escape closes it). `title` names it
 * (aria-labelledby); `onClose` runs on Escape. On opening, the focus goes to the element matching
 * `initialFocus` (a selector inside the dialog; by default the browser's choice, the first control);
 * on closing, or when the dialog is removed, it returns to the button that opened it.
 */
export function Dialog({ open, title, onClose, children, id, initialFocus }) {
  const ref = useRef(null);
  const opener = useRef(null);
  const titleId = `${id}-title`;
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) {
      const active = document.activeElement;
      opener.current = { element: active, section: active instanceof HTMLElement ? active.closest("section") : null };
      d.showModal();
      const first = initialFocus ? d.querySelector(initialFocus) : null;
      if (first instanceof HTMLElement) first.focus();
    }
    if (!open && d.open) {
      d.close();
      if (opener.current !== null) restoreFocus(opener.current);
      opener.current = null;
    }
  }, [open]);
  useEffect(() => {
    const d = ref.current;
    if (d === null) return undefined;
    const onCancel = (e) => {
      e.preventDefault();
      onClose();
    };
    d.addEventListener("cancel", onCancel);
    return () => d.removeEventListener("cancel", onCancel);
  }, [onClose]);
  // Removed while open (the page renders the dialog only while it is needed): close, give the focus back.
  useEffect(
    () => () => {
      const o = opener.current;
      opener.current = null;
      if (ref.current?.open) ref.current.close();
      if (o !== null) setTimeout(() => restoreFocus(o), 0);
    },
    [],
  );
  return html`<dialog ref=${ref} id=${id} aria-labelledby=${titleId} aria-modal="true">
    ${open ? html`<h2 id=${titleId}>${title}</h2>${children}` : null}
  </dialog>`;
}

/** The figures of a dry-run (docs/migration.md): a small table. */
export function DryRunFigures({ dry }) {
  if (!dry) return null;
  return html`<table class="kv figures" aria-label="Dry-run figures">
    <tbody>
      <tr><th scope="row">Logins it would have refused</th><td>${dry.wouldRefuse === 0 ? "0 logins" : `${fmtCount(dry.wouldRefuse, "login")} (${fmtShare(dry.wouldRefuseShare)} of the accepted logins)`} of the last ${fmtDuration(dry.windowSeconds)}</td></tr>
      <tr><th scope="row">Reason they would get</th><td>${dry.reason === null ? "none" : html`<code>${dry.reason}</code>`}</td></tr>
      <tr><th scope="row">Live sessions stranded</th><td>${fmtCount(dry.liveSessionsAffected, "session")}</td></tr>
      <tr><th scope="row">Figures of</th><td>${dry.readiness?.scope === "cluster" ? `every gateway on the Redis (${dry.readiness.gateways})` : "this gateway"}</td></tr>
    </tbody>
  </table>
  <p class="muted">${sameUnits(dry.summary)}</p>`;
}

/**
 * A confirmation dialog for a click that changes state: the consequence in words, the dry-run
 * figures when the step has them, and, for a step that cannot be undone, a field where the user
 * types `typeToConfirm` (the App ID) before the button is enabled. `hold` (words, or null) keeps
 * the button disabled and says why (e.g. a guard of the last stage does not hold yet). A `danger`
 * dialog opens with the focus on Cancel, never on the button that acts.
 */
export function ConfirmDialog({ id, open, title, consequence, dry, blocked, hold, typeToConfirm, confirmLabel, danger, busy, error, onConfirm, onCancel }) {
  const [typed, setTyped] = useState("");
  useEffect(() => {
    if (open) setTyped("");
  }, [open]);
  const typedOk = typeToConfirm === undefined || typed.trim().toLowerCase() === typeToConfirm.toLowerCase();
  const held = hold !== undefined && hold !== null;
  const submit = (e) => {
    e.preventDefault();
    if (typedOk && !busy && !blocked && !held) onConfirm();
  };
  return html`<${Dialog} id=${id} open=${open} title=${title} onClose=${onCancel} initialFocus=${danger ? "button[data-cancel]" : undefined}>
    <form onSubmit=${submit}>
      <p class="consequence" id=${`${id}-consequence`}>${consequence}</p>
      ${dry === "loading" ? html`<p role="status">Reading the dry-run figures…</p>` : html`<${DryRunFigures} dry=${dry} />`}
      ${blocked ? html`<div class="alert" role="alert">This step is not possible now: <code>${blocked.code}</code>: ${blocked.message}</div>` : null}
      ${held && !blocked ? html`<div class="note" role="status" id=${`${id}-hold`}>${hold}</div>` : null}
      ${typeToConfirm !== undefined && !blocked
        ? html`<label><span>Type the App ID <code>${typeToConfirm}</code> to confirm</span>
            <input id=${`${id}-type`} name="confirm-app-id" autocomplete="off" spellcheck=${false} value=${typed} onInput=${(e) => setTyped(e.currentTarget.value)} />
          </label>`
        : null}
      <${ErrorNote} error=${error} />
      <div class="actions">
        <button type="submit" class=${danger ? "danger primary" : "primary"} disabled=${!typedOk || busy || !!blocked || held || dry === "loading"} aria-describedby=${held && !blocked ? `${id}-hold` : undefined}>${busy ? "Working…" : confirmLabel}</button>
        <button type="button" data-cancel="" onClick=${onCancel}>Cancel</button>
      </div>
    </form>
  <//>`;
}

/** Copies `text` to the clipboard (the Clipboard API, or a selection copy outside secure contexts). */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused (headless, iframe): fall back below.
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** A Copy button with a status line saying whether it worked. */
export function CopyButton({ text, label }) {
  const [said, setSaid] = useState("");
  const click = async () => {
    setSaid((await copyText(text)) ? "Copied." : "Could not copy: select the text and copy it yourself.");
    setTimeout(() => setSaid(""), 2500);
  };
  return html`<span class="secret"><button type="button" onClick=${click} aria-label=${label}>Copy</button><span role="status" class="status-line">${said}</span></span>`;
}

/**
 * A certificate (or any secret), masked, with Reveal/Hide and Copy. `shown` and `onToggle` let the
 * page keep what is revealed by value rather than by place (a swapped certificate keeps its state).
 */
export function Secret({ value, label, shown: shownProp, onToggle }) {
  const [own, setOwn] = useState(false);
  const shown = shownProp ?? own;
  const toggle = () => (onToggle ? onToggle(!shown) : setOwn(!shown));
  return html`<span class="secret">
    <span class="visually-hidden">${shown ? `${label}:` : `${label}, hidden`}</span>
    <code data-secret=${shown ? "shown" : "masked"}>${shown ? value : "•".repeat(32)}</code>
    <button type="button" aria-pressed=${shown ? "true" : "false"} onClick=${toggle} aria-label=${`${shown ? "Hide" : "Reveal"} ${label}`}>${shown ? "Hide" : "Reveal"}</button>
    <${CopyButton} text=${value} label=${`Copy ${label}`} />
  </span>`;
}

/** The decoded token fields of an explanation, one row each (nested values as JSON). */
function TokenFields({ token }) {
  if (!token) return null;
  return html`<table class="kv wrap" aria-label="Decoded token">
    <tbody>
      ${Object.entries(token).map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="mono">${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}</td></tr>`)}
    </tbody>
  </table>`;
}

/** What `POST /admin/explain` answered: the decision, its code, the failed check, the hints, the decoded token. */
export function ExplainView({ explanation: x }) {
  if (!x) return null;
  return html`<div class="explain">
    <table class="kv wrap" aria-label="Explanation">
      <tbody>
        <tr><th scope="row">Decision now</th><td><span class=${`badge ${x.decision === "accept" ? "ok" : "bad"}`}>${x.decision}</span> <code>${x.reason}</code></td></tr>
        ${x.code !== null ? html`<tr><th scope="row">Client gets</th><td><code>${x.code}</code> <code>${x.name}</code></td></tr>` : null}
        <tr><th scope="row">First failed check</th><td>${x.failedCheck === null ? "none" : html`<code>${x.failedCheck}</code>`}${x.detail ? html` — ${x.detail}` : null}</td></tr>
        <tr><th scope="row">Mode, credential</th><td>${x.mode === null ? "no such project" : html`<${ModeBadge} mode=${x.mode} />`} ${x.credential}</td></tr>
        <tr><th scope="row">Verified by</th><td>${x.slot ?? "—"}</td></tr>
        <tr><th scope="row">Expires</th><td>${x.expiresAt === null ? "—" : fmtTime(x.expiresAt)}</td></tr>
        ${x.tokenId ? html`<tr><th scope="row">tokenId</th><td><code>${x.tokenId}</code></td></tr>` : null}
        ${x.shadow ? html`<tr><th scope="row">Shadow (${x.shadow.target})</th><td>${x.shadow.result} <code>${x.shadow.reason}</code></td></tr>` : null}
        ${x.cohort ? html`<tr><th scope="row">Rollout cohort</th><td>stage ${x.cohort.stage} “${x.cohort.stageName}”</td></tr>` : null}
        <tr><th scope="row">Simulated now</th><td>${fmtTime(x.now)}</td></tr>
      </tbody>
    </table>
    <h3>Hints</h3>
    ${x.hints.length === 0
      ? html`<p class="muted">No hint: nothing about this token or login looks like a known mistake.</p>`
      : html`<ul class="hints">${x.hints.map((hint) => html`<li><code>${hint.code}</code>: ${hint.message}</li>`)}</ul>`}
    ${x.token ? html`<h3>Decoded token</h3><${TokenFields} token=${x.token} />` : null}
  </div>`;
}
