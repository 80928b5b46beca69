import type { Connection } from "./connection.js";

/**
 * The key of the entry every per-App-ID map holds besides its sessions. No logged-in uid is empty
 * (a uid is 1 to 64 bytes: docs/agora-behaviour.md, "User ids"), so it never meets a session's key.
 */
const KEEP = "";

/**
 * Once more than this many App IDs have a map and none of their sessions is left, a map is dropped
 * as its last session goes, instead of kept for the App ID's next login.
 */
export const MAX_IDLE_APP_MAPS = 256;

/**
 * Logged-in connections by App ID, then uid, for remote-login detection. Two levels of maps
 * rather than one map keyed by a joined string: no extra key string per session.
 *
 * Why each per-App-ID map holds one entry of its own ({@link KEEP}) and stays when its sessions
 * have gone: V8 shrinks a Map's table whenever a delete leaves it under a quarter full, and
 * rebuilds it on the next add. For the gateway's long-lived maps (in V8's old generation) each
 * rebuild is dear, and a client that logs in, out and in again, one session at a time (an
 * integration test, a load test at concurrency 1), paid for two of them per session, one per
 * level (`npm run bench:login -- --baseline DIST` compares builds). With its own entry a map never
 * drops under a quarter of the smallest table.
 *
 * Bound: a map per App ID with a session now, plus at most {@link MAX_IDLE_APP_MAPS} maps of App IDs
 * whose sessions have all gone (an App ID only gets a map by a login the store accepted).
 */
export class IdentityIndex {
  private readonly apps = new Map<string, Map<string, Connection | null>>();
  /** Per-App-ID maps holding no session (only their own entry). */
  private idle = 0;

  /** The connection logged in as `uid` of `appId`, if any. */
  get(appId: string, uid: string): Connection | undefined {
    return this.apps.get(appId)?.get(uid) ?? undefined;
  }

  /** Indexes `conn` under its App ID and uid (replacing whatever was there). */
  set(conn: Connection): void {
    if (conn.uid === KEEP) return; // never a logged-in uid (the uid policy refuses it first)
    let uids = this.apps.get(conn.appId);
    if (uids === undefined) {
      uids = new Map<string, Connection | null>([[KEEP, null]]);
      this.apps.set(conn.appId, uids);
    } else if (uids.size === 1) this.idle--;
    uids.set(conn.uid, conn);
  }

  /** Removes `conn` if it is the one indexed for its identity. */
  delete(conn: Connection): void {
    const uids = this.apps.get(conn.appId);
    if (uids === undefined || uids.get(conn.uid) !== conn) return;
    uids.delete(conn.uid);
    if (uids.size > 1) return;
    if (this.idle < MAX_IDLE_APP_MAPS) this.idle++;
    else this.apps.delete(conn.appId);
  }

  /** Per-App-ID maps held, with a session or idle (for tests of the bound). */
  get appMaps(): number {
    return this.apps.size;
  }
}
