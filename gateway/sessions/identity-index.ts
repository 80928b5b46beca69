import type { Connection } from "./connection.js";

/**
 * Logged-in connections by App ID, then uid, for remote-login detection. Two levels of maps
 * rather than one map keyed by a joined string: no extra key string per session.
 */
export class IdentityIndex {
  private readonly apps = new Map<string, Map<string, Connection>>();

  get(appId: string, uid: string): Connection | undefined {
    return this.apps.get(appId)?.get(uid);
  }

  set(conn: Connection): void {
    let uids = this.apps.get(conn.appId);
    if (uids === undefined) this.apps.set(conn.appId, (uids = new Map()));
    uids.set(conn.uid, conn);
  }

  /** Removes `conn` if it is the one indexed for its identity. */
  delete(conn: Connection): void {
    const uids = this.apps.get(conn.appId);
    if (uids === undefined || uids.get(conn.uid) !== conn) return;
    uids.delete(conn.uid);
    if (uids.size === 0) this.apps.delete(conn.appId);
  }
}
