// The rtm-auth console's entry (docs/console.md): the layout, the hash router, and the auth gate.
// Nothing is shown until the admin API has answered: with JWT auth on and no token, the page shows
// the token prompt only; in dev mode from a browser that is not on loopback, the refusal.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, authState, forgetToken, getToken, onAuthChange, setToken } from "./api.js";
import { LivePage } from "./live.js";
import { MigrationPage } from "./migration.js";
import { EditProjectPage, ProjectsPage } from "./projects.js";
import { ErrorNote, html } from "./ui.js";

/** The page a location hash names: `#/projects`, `#/projects/<appId>`, `#/migration[/<appId>]`, `#/live`. */
function route(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter((p) => p !== "").map(decodeURIComponent);
  if (parts[0] === "projects" && parts[1] !== undefined) return { page: "edit", appId: parts[1], title: "Edit Project" };
  if (parts[0] === "migration") return { page: "migration", appId: parts[1] ?? null, title: "Migration" };
  if (parts[0] === "live") return { page: "live", title: "Live" };
  return { page: "projects", title: "Projects" };
}

const NAV = [
  { href: "#/projects", label: "Projects", pages: ["projects", "edit"] },
  { href: "#/migration", label: "Migration", pages: ["migration"] },
  { href: "#/live", label: "Live", pages: ["live"] },
];

function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/**
 * The prompt for an admin bearer token (JWT mode). The token goes to sessionStorage only. `again`:
 * the page had a token that stopped working; what it showed is kept, hidden, until a token works.
 */
function TokenPrompt({ message, again }) {
  const [value, setValue] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    setToken(value.trim());
    setValue("");
    try {
      await api("GET", "/clock");
    } catch {
      // The auth state says what happened (a refused token brings the prompt back with a message).
    }
  };
  return html`<section class="panel" aria-labelledby="token-title">
    <h2 id="token-title">Admin token needed</h2>
    <p>This gateway's admin API needs a bearer token (<code>ADMIN_JWT_SECRET</code> or <code>ADMIN_JWKS_URL</code> is set). Paste an admin JWT: it is kept in this browser tab only (sessionStorage), sent as an <code>Authorization</code> header with each admin call, and forgotten when the tab closes.</p>
    <p>To make one with <code>ADMIN_JWT_SECRET</code>: run <code>npx rtm-auth admin-token</code> on a machine whose environment has the gateway's <code>ADMIN_JWT_SECRET</code> (and <code>ADMIN_JWT_AUDIENCE</code>, <code>ADMIN_JWT_ISSUER</code> when set); it prints a token that passes every check, valid for an hour (<code>--ttl</code> to change it).</p>
    ${message ? html`<div class="alert" role="alert">${message}</div>` : null}
    ${again ? html`<p class="note">What you were doing on this page is kept: your forms come back as you left them once a token is accepted.</p>` : null}
    <form class="stack" onSubmit=${submit}>
      <label>Admin bearer token (JWT)
        <input type="password" name="admin-token" autocomplete="off" spellcheck=${false} value=${value} onInput=${(e) => setValue(e.currentTarget.value)} required />
      </label>
      <div class="actions"><button type="submit" class="primary">Use this token</button></div>
    </form>
  </section>`;
}

function App() {
  const [hash, setHash] = useState(location.hash);
  const [auth, setAuth] = useState(authState());
  const [probeError, setProbeError] = useState(null);
  const heading = useRef(null);
  /** True once the admin API has answered: from then on a refused token hides the page, keeping its forms. */
  const answered = useRef(false);
  answered.current ||= auth.state === "ok";
  /** The project last shown (Edit Project or Migration): the Migration link goes back to it. */
  const lastAppId = useRef(null);
  useEffect(() => {
    const onHash = () => setHash(location.hash);
    window.addEventListener("hashchange", onHash);
    const off = onAuthChange(setAuth);
    // One call to learn whether the admin API answers this browser (and whether it wants a token).
    api("GET", "/clock").then(
      () => setProbeError(null),
      (err) => setProbeError(err),
    );
    return () => {
      window.removeEventListener("hashchange", onHash);
      off();
    };
  }, []);
  const r = route(hash);
  useEffect(() => {
    document.title = `${r.title} · rtm-auth console`;
    heading.current?.focus();
  }, [hash]);

  if ((r.page === "edit" || r.page === "migration") && r.appId) lastAppId.current = r.appId;
  const keep = auth.state === "token_needed" && answered.current;
  let body;
  if (auth.state === "token_needed" && !keep) body = html`<${TokenPrompt} message=${auth.message} />`;
  else if (auth.state === "forbidden")
    body = html`<div class="alert" role="alert"><p><b>The admin API refused this browser.</b> ${auth.message}</p><p>In dev mode (no <code>ADMIN_JWT_SECRET</code> or <code>ADMIN_JWKS_URL</code>) the console works only from the gateway's own machine, opened as <code>http://localhost:PORT/console/</code> or <code>http://127.0.0.1:PORT/console/</code>.</p></div>`;
  else if (auth.state === "unknown") body = probeError ? html`<${ErrorNote} error=${probeError} />` : html`<p role="status">Connecting to the admin API…</p>`;
  else if (r.page === "edit") body = html`<${EditProjectPage} key=${r.appId} appId=${r.appId} navigate=${navigate} />`;
  else if (r.page === "migration") body = html`<${MigrationPage} key=${r.appId ?? ""} appId=${r.appId} navigate=${navigate} />`;
  else if (r.page === "live") body = html`<${LivePage} />`;
  else body = html`<${ProjectsPage} navigate=${navigate} />`;

  const locked = auth.state !== "ok";
  const hasToken = getToken() !== null;
  const nav = NAV.map((n) => (n.label === "Migration" && lastAppId.current !== null ? { ...n, href: `#/migration/${encodeURIComponent(lastAppId.current)}` } : n));
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
    <header class="top">
      <span class="brand">rtm-auth console</span>
      <nav aria-label="Console pages">
        <ul>
          ${nav.map((n) => html`<li><a href=${n.href} aria-current=${!locked && n.pages.includes(r.page) ? "page" : undefined}>${n.label}</a></li>`)}
        </ul>
      </nav>
      <div class="who">
        ${hasToken ? html`<span>admin token set</span><button type="button" onClick=${() => { forgetToken(); location.reload(); }}>Forget token</button>` : null}
      </div>
    </header>
    <main id="main" tabindex="-1">
      <h1 ref=${heading} tabindex="-1">${locked ? "rtm-auth console" : r.title}</h1>
      ${keep ? html`<${TokenPrompt} message=${auth.message} again=${true} />` : null}
      <div class="page" hidden=${keep}>${body}</div>
    </main>`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
