/**
 * The session manager's side of the LoginBroadcast port (docs/agora-behaviour.md, "Remote login"),
 * with a fake broadcast on a memory-store gateway: every login is announced, a logout released,
 * the live sessions are listed for the implementation, and a remote login ends exactly the session
 * it names as replaced (close 4501), never a newer one of the same identity.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryCertificateStore } from "../../../../core/certificate/certificate-store-memory.js";
import type { LiveSessionRef, LoginBroadcast, RemoteLogin } from "../../../../core/session/login-broadcast.js";
import { startGateway, type Gateway } from "../../../../gateway/main.js";
import { createRtmClient } from "../../../../client/index.js";
import { recordedClient, settle, type Recorded } from "../../../support/recorder.js";

const APP = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";

class FakeBroadcast implements LoginBroadcast {
  readonly origin = "fake01";
  readonly announced: string[] = [];
  readonly released: string[] = [];
  list: (() => Iterable<LiveSessionRef>) | undefined;
  private listener: ((l: RemoteLogin) => void) | undefined;

  announce(appId: string, uid: string, sessionId: string): void {
    this.announced.push(`${appId} ${uid} ${sessionId}`);
  }
  release(appId: string, uid: string, sessionId: string): void {
    this.released.push(`${appId} ${uid} ${sessionId}`);
  }
  trackSessions(list: () => Iterable<LiveSessionRef>): void {
    this.list = list;
  }
  onRemoteLogin(listener: (l: RemoteLogin) => void): () => void {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
  emit(l: RemoteLogin): void {
    this.listener?.(l);
  }
  async close(): Promise<void> {}
}

describe("the remote-login hook of the session manager", () => {
  const fake = new FakeBroadcast();
  let gw: Gateway;
  const clients: Recorded[] = [];

  beforeAll(async () => {
    const store = new MemoryCertificateStore();
    await store.update(APP, () => ({ appId: APP, noCertificate: true, primary: null, secondary: null, enabled: true, version: 0 }));
    gw = await startGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: false }, store, broadcast: fake });
  });
  afterAll(async () => {
    for (const c of clients) await c.client.close();
    await gw.close();
  });

  async function login(uid: string): Promise<{ rec: Recorded; sessionId: string }> {
    const rec = recordedClient(gw.url, APP, "rtm1");
    clients.push(rec);
    return { rec, sessionId: (await rec.client.login({ uid, token: null })).sessionId };
  }
  const isOpen = (rec: Recorded) => !rec.seen.some((o) => o.type === "closed");

  it("announces every login with the gateway's session id, and lists the live sessions for the implementation", async () => {
    const s = await login("ann");
    expect(s.sessionId.startsWith(`${fake.origin}-`)).toBe(true);
    expect(fake.announced).toContain(`${APP} ann ${s.sessionId}`);
    expect([...fake.list!()].map((x) => [x.appId, x.uid, x.sessionId])).toContainEqual([APP, "ann", s.sessionId]);
  });

  it("ends only the session named as replaced: a message about an older session leaves the newer one alone", async () => {
    const first = await login("ben");
    const second = await login("ben"); // ends `first` here (same gateway)
    expect(await first.rec.closed()).toBe(4501);
    fake.emit({ appId: APP, uid: "ben", sessionId: "other-1", origin: "other", replaces: first.sessionId });
    await settle();
    expect(isOpen(second.rec)).toBe(true);
    expect(gw.sessions.list({ appId: APP, uid: "ben" }).map((x) => x.sessionId)).toEqual([second.sessionId]);

    fake.emit({ appId: APP, uid: "ben", sessionId: "other-2", origin: "other", replaces: second.sessionId });
    expect(await second.rec.closed()).toBe(4501);
    expect(second.rec.states()).toContain("ABORTED/REMOTE_LOGIN");
    expect(gw.sessions.list({ appId: APP, uid: "ben" })).toEqual([]);
  });

  it("without `replaces`, any session of the identity but the new one ends; the new session's own id never ends it", async () => {
    const s = await login("cal");
    fake.emit({ appId: APP, uid: "cal", sessionId: s.sessionId, origin: "other" });
    await settle();
    expect(isOpen(s.rec)).toBe(true);
    fake.emit({ appId: APP, uid: "cal", sessionId: "other-3", origin: "other" });
    expect(await s.rec.closed()).toBe(4501);
  });

  it("a logout releases the session; a closed connection does not", async () => {
    const client = createRtmClient({ url: gw.url, appId: APP, profile: "rtm1" });
    const { sessionId } = await client.login({ uid: "dot", token: null });
    await client.logout();
    await client.close();
    expect(fake.released).toEqual([`${APP} dot ${sessionId}`]);
    const s = await login("eve");
    await s.rec.client.close();
    await settle();
    expect(fake.released).toEqual([`${APP} dot ${sessionId}`]);
  });
});
