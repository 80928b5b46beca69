// Projects: the list with mode badges, Create project (the seed's "APP ID" / "APP ID + Token"),
// and the Edit Project page: certificates masked with reveal and copy, "pending until …", Enable,
// Set as primary, Delete, delete "No certificate" (typing the App ID), each destructive click behind
// a dialog with the dry-run figures (docs/migration.md); mint a token, copy it, explain a token.
//
// A line that reports a result ("Swapped…", an explanation, a mint error) belongs to the project's
// state when it was made: it is cleared once the project's certificates change (stateKey).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, meta } from "./api.js";
import { ConfirmDialog, CopyButton, ErrorNote, ExplainView, fmtDuration, fmtTime, html, MODE_SENTENCES, ModeBadge, Secret, StaleNote, staleClass, useFreshness, usePoll } from "./ui.js";

const enc = encodeURIComponent;

/** The list of projects and the Create project form. */
export function ProjectsPage({ navigate }) {
  const [projects, setProjects] = useState(null);
  const fresh = useFreshness();
  usePoll(async () => {
    try {
      setProjects((await api("GET", "/projects")).projects);
      fresh.ok();
    } catch (err) {
      fresh.fail(err);
    }
  }, 3000);
  return html`
    <p class="lead">The projects of this gateway, as Agora's console lists them: each with its authentication mode.</p>
    <${CreateProject} navigate=${navigate} />
    <section class=${staleClass("panel", fresh)} aria-labelledby="list-title">
      <h2 id="list-title">Projects</h2>
      <${StaleNote} fresh=${fresh} />
      ${projects === null
        ? html`<p role="status">Loading…</p>`
        : projects.length === 0
          ? html`<p>No project yet: create one above.</p>`
          : html`<table>
              <thead><tr><th scope="col">App ID</th><th scope="col">Mode</th><th scope="col">Primary</th><th scope="col">Secondary</th><th scope="col">No certificate</th><th scope="col">Rollout</th></tr></thead>
              <tbody>
                ${projects.map(
                  (p) => html`<tr key=${p.appId}>
                    <td><a href=${`#/projects/${p.appId}`} class="mono">${p.appId}</a></td>
                    <td><${ModeBadge} mode=${p.mode} /></td>
                    <td>${certWord(p.certificates.primary)}</td>
                    <td>${certWord(p.certificates.secondary)}</td>
                    <td>${p.noCertificate ? "present" : "deleted"}</td>
                    <td>${p.rollout === null ? "—" : html`<a href=${`#/migration/${p.appId}`}>${p.rollout.status.replace(/_/g, " ")}${p.rollout.stageName === null ? "" : ` (${p.rollout.stageName})`}</a>`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    </section>`;
}

function certWord(c) {
  if (c === null) return "—";
  return c.status === "active" ? "active" : "pending";
}

/** Create project, with the seed's two authentication mechanisms. */
function CreateProject({ navigate }) {
  const [mechanism, setMechanism] = useState("token");
  const [appId, setAppId] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = appId.trim() === "" ? { mechanism } : { mechanism, appId: appId.trim().toLowerCase() };
      const p = await api("POST", "/projects", body, { write: true });
      navigate(`#/projects/${p.appId}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="panel" aria-labelledby="create-title">
    <h2 id="create-title">Create a project</h2>
    <form class="stack" onSubmit=${submit}>
      <fieldset>
        <legend>Authentication mechanism</legend>
        <label class="radio"><input type="radio" name="mechanism" value="token" checked=${mechanism === "token"} onChange=${() => setMechanism("token")} />
          <span><b>APP ID + Token (recommended)</b> Secured mode: every login needs a token. The primary certificate is enabled at once; the project never has “No certificate”.</span></label>
        <label class="radio"><input type="radio" name="mechanism" value="appid" checked=${mechanism === "appid"} onChange=${() => setMechanism("appid")} />
          <span><b>APP ID</b> Testing mode: the App ID alone logs in (the project has “No certificate”). Enable a certificate later to move to tokens.</span></label>
      </fieldset>
      <label>App ID (32 hex characters; leave empty to generate one)
        <input name="appId" value=${appId} onInput=${(e) => setAppId(e.currentTarget.value)} pattern="[0-9a-fA-F]{32}" maxlength="32" autocomplete="off" spellcheck=${false} />
      </label>
      <${ErrorNote} error=${error} />
      <div class="actions"><button type="submit" class="primary" disabled=${busy}>${busy ? "Creating…" : "Create project"}</button></div>
    </form>
  </section>`;
}

/** The dialogs of the destructive steps: the call, its dry-run, the consequence. */
const STEPS = {
  delete_no_certificate: {
    title: "Delete “No certificate”",
    method: "DELETE",
    suffix: "/no-certificate",
    confirmLabel: "Delete “No certificate”",
    consequence: "This cannot be undone: “No certificate” cannot be restored. From now on every login of this project needs a token; App ID logins are refused with token_required.",
    done: "“No certificate” deleted: the project is token only.",
    typeAppId: true,
  },
  swap: {
    title: "Set the secondary certificate as primary",
    method: "POST",
    suffix: "/certificates/swap",
    confirmLabel: "Set as primary",
    consequence:
      "The secondary certificate becomes the primary, and the primary becomes the secondary. Tokens signed by either keep verifying; tokens minted here are then signed by the new primary. Afterwards you can delete the old one (now the secondary).",
    done: "Swapped: the former secondary is now the primary.",
    typeAppId: false,
  },
  delete_secondary: {
    title: "Delete the secondary certificate",
    method: "DELETE",
    suffix: "/certificates/secondary",
    confirmLabel: "Delete the secondary certificate",
    consequence:
      "This cannot be undone: the secondary certificate is deleted, and every token signed with it stops verifying, at login and at renewal, on every gateway sharing this store. Live sessions stay connected until they renew or log in again.",
    done: "The secondary certificate was deleted.",
    typeAppId: false,
  },
};

/** "active since …" or "pending until … (in …)" of a certificate at the simulated `now`. */
function CertStatus({ cert, now }) {
  // A certificate stated by populate is active from the epoch: say so rather than "since 1970".
  if (cert.status === "active") return html`<span class="badge ok">active</span> <span class="muted">${cert.activeAt === 0 ? "from the start (stated with the project)" : `since ${fmtTime(cert.activeAt)}`}</span>`;
  const left = now === null ? null : cert.activeAt - now;
  return html`<span class="badge warn">pending</span> pending until ${fmtTime(cert.activeAt)}${left !== null && left > 0 ? html` <span class="muted">(in ${fmtDuration(left)} on the simulated clock)</span>` : null}`;
}

/**
 * The part of a project's state that changes what a login gets: its certificates (value and
 * status), "No certificate" and the mode. A result shown on the page is kept with the key it was
 * made under, and is no longer shown once the key differs.
 */
function stateKey(p) {
  const c = (x) => (x === null ? "-" : `${x.value}:${x.status}`);
  return `${p.mode}|${p.noCertificate}|${c(p.certificates.primary)}|${c(p.certificates.secondary)}`;
}

/** The Edit Project page of `appId`. */
export function EditProjectPage({ appId, navigate }) {
  const [project, setProject] = useState(null);
  const [now, setNow] = useState(null);
  const fresh = useFreshness();
  /** A refused Enable: { error, key }, shown while the project is as it was. */
  const [actionError, setActionError] = useState(null);
  /** The last step's result: { text, key }, shown while the project is as that step left it. */
  const [said, setSaid] = useState(null);
  const [busy, setBusy] = useState(null);
  const [dialog, setDialog] = useState(null);
  /** The certificate values revealed (by value, so a swapped certificate keeps its state); at most two. */
  const [revealed, setRevealed] = useState(() => new Set());

  const refresh = usePoll(
    async () => {
      try {
        const [p, clock] = await Promise.all([api("GET", `/projects/${enc(appId)}`), api("GET", "/clock")]);
        setProject(p);
        setNow(clock.now);
        fresh.ok();
      } catch (err) {
        fresh.fail(err);
      }
    },
    2000,
    [appId],
  );

  const enable = async (slot) => {
    setBusy(slot);
    setSaid(null);
    setActionError(null);
    try {
      const p = await api("POST", `/projects/${enc(appId)}/certificates/${slot}`, undefined, { write: true });
      setProject(p);
      setSaid({ text: `The ${slot} certificate is enabled${p.certificates[slot].status === "pending" ? `, pending until ${fmtTime(p.certificates[slot].activeAt)}` : ""}.`, key: stateKey(p) });
    } catch (err) {
      setActionError({ error: err, key: project === null ? null : stateKey(project) });
    } finally {
      setBusy(null);
    }
  };

  /** Opens the dialog of `step` and reads its dry-run; a step refused as the real one would be shows why. */
  const open = async (step) => {
    const s = STEPS[step];
    setActionError(null);
    setDialog({ step, dry: "loading", blocked: null, busy: false, error: null });
    try {
      const dry = await api(s.method, `/projects/${enc(appId)}${s.suffix}?dryRun=true`);
      setDialog((d) => (d && d.step === step ? { ...d, dry } : d));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500) setDialog((d) => (d && d.step === step ? { ...d, dry: null, error: err } : d));
      else setDialog((d) => (d && d.step === step ? { ...d, dry: null, blocked: err } : d));
    }
  };
  const confirm = async () => {
    const step = dialog.step;
    const s = STEPS[step];
    setDialog((d) => ({ ...d, busy: true, error: null }));
    try {
      const p = await api(s.method, `/projects/${enc(appId)}${s.suffix}`, undefined, { write: true });
      setProject(p);
      setDialog(null);
      setSaid({ text: s.done, key: stateKey(p) });
      refresh();
    } catch (err) {
      setDialog((d) => ({ ...d, busy: false, error: err }));
    }
  };

  if (project === null) {
    return html`<${StaleNote} fresh=${fresh} />${fresh.error === null ? html`<p role="status">Loading ${appId}…</p>` : html`<p><a href="#/projects">Back to the projects</a></p>`}`;
  }
  const key = stateKey(project);
  const { primary, secondary } = project.certificates;
  const step = dialog === null ? null : STEPS[dialog.step];
  const secret = (cert, label) =>
    html`<${Secret}
      value=${cert.value}
      label=${label}
      shown=${revealed.has(cert.value)}
      onToggle=${(show) =>
        setRevealed((old) => {
          // Only the project's current certificates stay in the set.
          const next = new Set([...old].filter((v) => v === primary?.value || v === secondary?.value));
          if (show) next.add(cert.value);
          else next.delete(cert.value);
          return next;
        })}
    />`;
  return html`
    <p class="lead">App ID <code>${project.appId}</code> <${CopyButton} text=${project.appId} label="Copy the App ID" /></p>
    <p><${ModeBadge} mode=${project.mode} /> ${MODE_SENTENCES[project.mode]} <a href=${`#/migration/${project.appId}`}>Migration dashboard</a></p>
    <${StaleNote} fresh=${fresh} />
    ${actionError !== null && actionError.key === key ? html`<${ErrorNote} error=${actionError.error} />` : null}
    <p role="status" class="status-line" id="edit-status">${said !== null && said.key === key ? said.text : ""}</p>
    <section class=${staleClass("panel", fresh)} aria-labelledby="cert-title">
      <h2 id="cert-title">App certificate</h2>
      <div class="table-scroll">
      <table class="certificates">
        <thead><tr><th scope="col">Certificate</th><th scope="col">Value</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          <tr data-row="primary">
            <th scope="row">Primary certificate</th>
            <td>${primary === null ? html`<span class="muted">not enabled</span>` : secret(primary, "primary certificate")}</td>
            <td>${primary === null ? "—" : html`<${CertStatus} cert=${primary} now=${now} />`}</td>
            <td>
              ${primary === null
                ? html`<button type="button" class="primary" onClick=${() => enable("primary")} disabled=${busy !== null} aria-label="Enable the primary certificate">Enable</button>`
                : html`<span class="muted">The primary cannot be deleted: set the secondary as primary first.</span>`}
            </td>
          </tr>
          <tr data-row="secondary">
            <th scope="row">Secondary certificate</th>
            <td>${secondary === null ? html`<span class="muted">not enabled</span>` : secret(secondary, "secondary certificate")}</td>
            <td>${secondary === null ? "—" : html`<${CertStatus} cert=${secondary} now=${now} />`}</td>
            <td><div class="actions">
              ${secondary === null
                ? primary === null
                  ? html`<span class="muted">Enable the primary first.</span>`
                  : html`<button type="button" onClick=${() => enable("secondary")} disabled=${busy !== null} aria-label="Enable the secondary certificate">Enable</button>`
                : html`<button type="button" onClick=${() => open("swap")}>Set as primary</button>
                    <button type="button" class="danger" onClick=${() => open("delete_secondary")} aria-label="Delete the secondary certificate">Delete</button>`}
            </div></td>
          </tr>
          <tr data-row="no-certificate">
            <th scope="row">No certificate</th>
            <td>${project.noCertificate ? "App ID logins are allowed" : html`<span class="muted">deleted: App ID logins are refused (token only)</span>`}</td>
            <td>${project.noCertificate ? html`<span class="badge info">present</span>` : html`<span class="badge ok">deleted</span>`}</td>
            <td>
              ${project.noCertificate
                ? html`<button type="button" class="danger" onClick=${() => open("delete_no_certificate")} aria-label="Delete No certificate">Delete</button>`
                : html`<span class="muted">cannot be restored</span>`}
            </td>
          </tr>
        </tbody>
      </table>
      </div>
    </section>
    <div class="grid2">
      <${MintToken} project=${project} stateKey=${key} />
      <${ExplainForm} appId=${project.appId} stateKey=${key} />
    </div>
    ${step === null
      ? null
      : html`<${ConfirmDialog}
          id="confirm-step"
          open=${true}
          title=${step.title}
          consequence=${step.consequence}
          dry=${dialog.dry}
          blocked=${dialog.blocked}
          typeToConfirm=${step.typeAppId ? project.appId : undefined}
          confirmLabel=${step.confirmLabel}
          danger=${dialog.step !== "swap"}
          busy=${dialog.busy}
          error=${dialog.error}
          onConfirm=${confirm}
          onCancel=${() => setDialog(null)}
        />`}
    <p><a href="#/projects" onClick=${(e) => { e.preventDefault(); navigate("#/projects"); }}>Back to the projects</a></p>`;
}

/** The RTM uid rules (docs/agora-behaviour.md, "User ids"): the characters a uid may hold. */
const UID_CHARS = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]*$/;

/**
 * What a login would meet with `uid` (docs/agora-behaviour.md, "User ids", the gateway's own rules):
 * `{ refuse }` when every login with it is refused (`invalid_uid`), so a token for it is useless;
 * `{ warn }` when it is accepted here but easy to get wrong; null when it is fine.
 */
export function uidCheck(uid) {
  if (uid.length === 0) return { refuse: "Give a uid: an empty uid is refused at login (invalid_uid)." };
  if (uid === "null") return { refuse: "The uid “null” is refused at login (invalid_uid)." };
  if (!UID_CHARS.test(uid)) {
    return { refuse: "This uid has a character outside the allowed set (a–z A–Z 0–9, the space and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,): logins with it are refused (invalid_uid), so a token for it could never log in." };
  }
  if (uid.length > 64) return { refuse: `This uid is ${uid.length} bytes long; a uid is 1 to 64 bytes, so logins with it are refused (invalid_uid) and a token for it could never log in.` };
  if (uid.trim() === "") return { warn: "This uid is only spaces. The gateway accepts it, but it is easy to send by mistake, and the SDKs that refuse a leading space refuse it." };
  if (uid.startsWith(" ")) return { warn: "This uid starts with a space: the gateway and the Web 1.6.0 SDK accept it, the early C++ SDK refuses it." };
  return null;
}

/** Explain: the events the MintToken form sends to the ExplainForm on the same page. */
const explainRequests = new EventTarget();

/** A 006 token's own lifetime, seconds (its RTM privilege may say less, never more). */
const TOKEN_006_LIFETIME_SECONDS = 86400;

/**
 * Mint a token for a uid (`POST /admin/tokens`), copy it, explain it. A uid every login would
 * refuse is not sent; an expiry the gateway caps (MAX_TOKEN_LIFETIME_SECONDS) is said.
 */
function MintToken({ project, stateKey: key }) {
  const [uid, setUid] = useState("alice");
  const [version, setVersion] = useState("007");
  const [expire, setExpire] = useState("3600");
  const [cert, setCert] = useState("primary");
  const [minted, setMinted] = useState(null);
  /** { error, key }: shown while the project is as it was when minting failed. */
  const [error, setError] = useState(null);
  const uidNote = uidCheck(uid);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (uidNote?.refuse) {
      document.getElementById("mint-uid")?.focus();
      return;
    }
    const seconds = Number(expire);
    try {
      // The simulated clock before minting: the token is issued at or after it, so an expiry
      // earlier than it + the lifetime asked for was capped by the gateway.
      let before = null;
      try {
        before = (await api("GET", "/clock")).now;
      } catch {
        before = null;
      }
      const t = await api("POST", "/tokens", { appId: project.appId, uid, version, expireSeconds: seconds, certificate: cert });
      const natural = version === "007" ? seconds : seconds === 0 ? TOKEN_006_LIFETIME_SECONDS : Math.min(TOKEN_006_LIFETIME_SECONDS, seconds);
      const notes = [];
      if (before !== null && t.expiresAt < before + natural) {
        notes.push(`Capped: you asked for ${fmtDuration(seconds)}, but this gateway ends a token's logins ${fmtDuration(t.expiresAt - before)} after its issue (MAX_TOKEN_LIFETIME_SECONDS), so it expires at ${fmtTime(t.expiresAt)}.`);
      }
      if (version === "006" && seconds > TOKEN_006_LIFETIME_SECONDS) notes.push(`A 006 token itself lives 24 h: its RTM privilege of ${fmtDuration(seconds)} cannot outlive it.`);
      setMinted({ ...t, uid, notes });
    } catch (err) {
      setMinted(null);
      setError({ error: err, key });
    }
  };
  return html`<section class="panel" aria-labelledby="mint-title">
    <h2 id="mint-title">Mint a token</h2>
    <form class="inline" onSubmit=${submit}>
      <label>uid <input id="mint-uid" name="uid" value=${uid} onInput=${(e) => setUid(e.currentTarget.value)} required maxlength="1024" autocomplete="off" spellcheck=${false} aria-invalid=${uidNote?.refuse ? "true" : undefined} aria-describedby=${uidNote ? "mint-uid-note" : undefined} /></label>
      <label>Version <select name="version" value=${version} onChange=${(e) => setVersion(e.currentTarget.value)}><option value="007">007</option><option value="006">006</option></select></label>
      <label>Expires in (seconds) <input name="expire" type="number" min="0" max="4294967295" step="1" value=${expire} onInput=${(e) => setExpire(e.currentTarget.value)} required /></label>
      <label>Signed by <select name="certificate" value=${cert} onChange=${(e) => setCert(e.currentTarget.value)}><option value="primary">primary</option><option value="secondary">secondary</option></select></label>
      <button type="submit" class="primary">Mint token</button>
    </form>
    ${uidNote === null ? null : html`<p id="mint-uid-note" class=${uidNote.refuse ? "field-error" : "note"}>${uidNote.refuse ?? uidNote.warn}</p>`}
    ${error !== null && error.key === key ? html`<${ErrorNote} error=${error.error} />` : null}
    ${minted === null
      ? null
      : html`<div>
          <label><span>Minted token for <code>${minted.uid}</code> (${minted.version}, expires ${fmtTime(minted.expiresAt)})</span>
            <textarea class="token" readonly id="minted-token" value=${minted.token} spellcheck=${false}></textarea>
          </label>
          ${minted.notes.map((n) => html`<p class="note" role="status">${n}</p>`)}
          <div class="actions">
            <${CopyButton} text=${minted.token} label="Copy the minted token" />
            <button type="button" onClick=${() => explainRequests.dispatchEvent(new CustomEvent("explain", { detail: { uid: minted.uid, token: minted.token } }))}>Explain this token</button>
          </div>
        </div>`}
  </section>`;
}

/**
 * Explain a login (`POST /admin/explain`): the decision, the failed check, the hints. The result
 * is the decision *now*: once the project's certificates change it is cleared, not left to claim so.
 */
function ExplainForm({ appId, stateKey: key }) {
  const [uid, setUid] = useState("alice");
  const [token, setToken] = useState("");
  const [profile, setProfile] = useState("rtm1");
  const [profiles, setProfiles] = useState(["rtm1", "rtm2"]);
  /** { x, key } */
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const run = async (u, t, p) => {
    setError(null);
    try {
      const x = await api("POST", "/explain", { appId, uid: u, token: t.trim() === "" ? null : t.trim(), profile: p });
      setResult({ x, key });
    } catch (err) {
      setResult(null);
      setError(err);
    }
  };
  useEffect(() => {
    meta().then((m) => setProfiles(m.profiles), () => {});
  }, []);
  useEffect(() => {
    const onExplain = (e) => {
      setUid(e.detail.uid);
      setToken(e.detail.token);
      run(e.detail.uid, e.detail.token, profile);
      document.getElementById("explain-title")?.scrollIntoView({ block: "start" });
    };
    explainRequests.addEventListener("explain", onExplain);
    return () => explainRequests.removeEventListener("explain", onExplain);
  }, [appId, profile, key]);
  const outdated = result !== null && result.key !== key;
  return html`<section class="panel" aria-labelledby="explain-title">
    <h2 id="explain-title">Explain a token</h2>
    <form class="stack" onSubmit=${(e) => { e.preventDefault(); run(uid, token, profile); }}>
      <label>uid <input name="explain-uid" value=${uid} onInput=${(e) => setUid(e.currentTarget.value)} required autocomplete="off" spellcheck=${false} /></label>
      <label>Token (leave empty for an App ID login) <textarea class="token" name="explain-token" value=${token} onInput=${(e) => setToken(e.currentTarget.value)} spellcheck=${false}></textarea></label>
      <label>SDK profile <select name="explain-profile" value=${profile} onChange=${(e) => setProfile(e.currentTarget.value)}>${profiles.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
      <div class="actions"><button type="submit" class="primary">${outdated ? "Explain again" : "Explain"}</button></div>
    </form>
    <${ErrorNote} error=${error} />
    <div aria-live="polite">
      ${outdated
        ? html`<p class="note" id="explain-outdated">The project's certificates changed after this explanation, so its “decision now” no longer holds and it was cleared. Explain again to see the decision now.</p>`
        : html`<${ExplainView} explanation=${result?.x ?? null} />`}
    </div>
  </section>`;
}
