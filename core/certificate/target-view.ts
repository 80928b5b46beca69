/**
 * A project's auth view as a migration target would make it (docs/migration.md): "token only"
 * ("No certificate" deleted) or "certificate X deleted". Shared by the shadow decisions and the
 * rollout cohorts, so both judge a target the same way.
 */
import type { ShadowTarget } from "../protocol/admin.js";
import type { ProjectAuth } from "./project.js";

/** The view `view` would have under target `t` (a new object; `view` is not changed). */
export function targetView(view: ProjectAuth, t: ShadowTarget): ProjectAuth {
  if (t.target === "token_only") return { appId: view.appId, mode: "token", certificates: view.certificates };
  const certificates = view.certificates.filter((c) => c.slot !== t.slot);
  // Without any certificate left, a project that still has "No certificate" is App ID only.
  const mode = view.mode === "token" ? "token" : certificates.length > 0 ? view.mode : "appid";
  return { appId: view.appId, mode, certificates };
}
