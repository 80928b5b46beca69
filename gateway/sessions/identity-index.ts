import type { Connection } from "./connection.js";

/**
 * Logged-in connections by App ID, then uid, for remote-login detection. Two levels of maps
 * rather than one map keyed by a joined string: no extra key string per session.
 */
export class IdentityIndex {
  private readonly apps = new Map<string, Map<string, Connection>>();
  /**
   * The last per-App-ID map that emptied, kept for the next App ID that needs one: a project whose
   * only session comes and goes (one login at a time) does not build and drop a Map each time. One
   * at most, and empty (a Map shrinks its table as entries go).
   */
  private spare: Map<string, Connection> | null = null;

  get(appId: string, uid: string): Connection | undefined {
    return this.apps.get(appId)?.get(uid);
  }

  set(conn: Connection): void {
    let uids = this.apps.get(conn.appId);
    if (uids === undefined) {
      uids = this.spare ?? new Map<string, Connection>();
      this.spare = null;
      this.apps.set(conn.appId, uids);
    }
    uids.set(conn.uid, conn);
  }

  /** Removes `conn` if it is the one indexed for its identity. */
  delete(conn: Connection): void {
    const uids = this.apps.get(conn.appId);
    if (uids === undefined || uids.get(conn.uid) !== conn) return;
    uids.delete(conn.uid);
    if (uids.size === 0) {
      this.apps.delete(conn.appId);
      this.spare = uids;
    }
  }
}
