/**
 * The index of logged-in connections by App ID and uid (gateway/sessions/identity-index.ts):
 * what it answers, and its bound on the per-App-ID maps it keeps once their sessions have gone.
 */
import { describe, expect, it } from "vitest";
import type { Connection } from "../../../../gateway/sessions/connection.js";
import { IdentityIndex, MAX_IDLE_APP_MAPS } from "../../../../gateway/sessions/identity-index.js";

const conn = (appId: string, uid: string): Connection => ({ appId, uid }) as unknown as Connection;
const app = (i: number): string => i.toString(16).padStart(32, "0");

describe("IdentityIndex", () => {
  it("answers the connection indexed for an identity, and forgets it only when that connection goes", () => {
    const index = new IdentityIndex();
    const a1 = conn(app(1), "alice");
    const a2 = conn(app(1), "alice");
    const b = conn(app(1), "bob");
    index.set(a1);
    index.set(b);
    expect(index.get(app(1), "alice")).toBe(a1);
    expect(index.get(app(2), "alice")).toBeUndefined();
    // The map's own entry is no identity.
    expect(index.get(app(1), "")).toBeUndefined();
    index.set(a2); // a newer login of alice
    index.delete(a1); // the older one closing leaves the newer one indexed
    expect(index.get(app(1), "alice")).toBe(a2);
    index.delete(a2);
    expect(index.get(app(1), "alice")).toBeUndefined();
    expect(index.get(app(1), "bob")).toBe(b);
    // An empty uid is never indexed (no login has one), so it cannot take the map's own entry.
    const empty = conn(app(1), "");
    index.set(empty);
    expect(index.get(app(1), "")).toBeUndefined();
    index.delete(empty);
    index.delete(b);
    expect(index.get(app(1), "bob")).toBeUndefined();
  });

  it("keeps an App ID's map for its next login, and at most MAX_IDLE_APP_MAPS maps with no session", () => {
    const index = new IdentityIndex();
    const busy = conn(app(0), "stays");
    index.set(busy);
    // One session at a time on one App ID: the map stays.
    for (let i = 0; i < 10; i++) {
      const c = conn(app(1), `u${i}`);
      index.set(c);
      index.delete(c);
      expect(index.appMaps).toBe(2);
    }
    // Many App IDs, each logging in once and out: idle maps stop at the bound.
    for (let i = 2; i < MAX_IDLE_APP_MAPS + 50; i++) {
      const c = conn(app(i), "x");
      index.set(c);
      index.delete(c);
    }
    expect(index.appMaps).toBe(1 + MAX_IDLE_APP_MAPS);
    // A map with sessions is never dropped, and an idle one taken up again no longer counts as idle.
    expect(index.get(app(0), "stays")).toBe(busy);
    const again = conn(app(1), "back");
    index.set(again);
    const other = conn(app(9_999), "new");
    index.set(other);
    index.delete(other); // one idle slot was freed by app(1)'s new session: this map is kept
    expect(index.appMaps).toBe(2 + MAX_IDLE_APP_MAPS);
    index.delete(again); // over the bound now: dropped
    expect(index.appMaps).toBe(1 + MAX_IDLE_APP_MAPS);
    expect(index.get(app(1), "back")).toBeUndefined();
  });
});
