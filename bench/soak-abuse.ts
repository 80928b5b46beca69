/**
 * The misbehaving clients of the soak (bench/soak.ts), on raw loopback sockets (the RFC 6455
 * primitives of client/load/ws-frames.ts), on one App ID project:
 *
 *  - abrupt: log in, then destroy the socket without a close frame as soon as the reply comes;
 *    every third one is destroyed before the reply, and every fifth half-way through its upgrade
 *    request;
 *  - silent: upgrade, then send nothing and read nothing (the gateway's login deadline closes it
 *    with 4001, and its close timeout must destroy it, since the close frame is never answered);
 *    after `silent.holdMs` it reads what came and counts the close code and whether the gateway
 *    had released the socket, then destroys it;
 *  - non-reader: log in, stop reading, and send pings for `burstMs`, keeping at most `maxUnsentBytes`
 *    queued on our side; then destroy the socket. The gateway's memory for its replies must stay
 *    bounded (MAX_BUFFERED_BYTES, PINGS_PER_SECOND).
 *
 * Everything is bounded (ticks, clients alive, time, bytes) and counted by name.
 */
import { connect, type Socket } from "node:net";
import { maskedTextFrame, readServerFrame, readUpgradeResponse, upgradeRequest, type WsTarget } from "../client/load/ws-frames.js";
import { Counts, ticker, type Lane } from "./soak-lanes.js";

/** The parameters of the misbehaving clients (copied into the soak's JSON). */
export const ABUSE_SETTINGS = Object.freeze({
  abrupt: { everyMs: 500, maxAlive: 20 },
  silent: { everyMs: 10_000, maxAlive: 5, holdMs: 30_000 },
  nonReader: {
    /** The first burst starts this long after the lane, then one every `everyMs`. */
    firstAfterMs: 15_000,
    everyMs: 60_000,
    burstMs: 20_000,
    /** Bytes we let queue in our own socket before we wait for it to drain. */
    maxUnsentBytes: 1 << 20,
    /** Most pings one burst sends. */
    maxPings: 2_000_000,
  },
});

/** Longest wait for the upgrade and the login reply, ms. */
const REPLY_BOUND_MS = 5_000;
/** Most bytes of replies kept while looking for the login reply. */
const KEEP_BYTES = 64 * 1024;
const LOGIN_REPLY = Buffer.from('{"id":1,"ok":', "latin1");
const LOGIN_ACCEPTED = Buffer.from('{"id":1,"ok":true', "latin1");

/** A raw connection that records what it has received (bounded) and when it closed. */
class RawProbe {
  readonly socket: Socket;
  private received = Buffer.alloc(0);
  private upgraded = false;
  private bodyAt = 0;
  closed = false;
  /** The peer ended its side (FIN read). */
  ended = false;
  private waiters = new Set<() => void>();

  constructor(target: WsTarget, sendRequest = true) {
    this.socket = connect(target.port, target.host);
    this.socket.setNoDelay(true);
    if (sendRequest) this.socket.on("connect", () => this.socket.write(upgradeRequest(target)));
    this.socket.on("data", (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      if (this.received.length > KEEP_BYTES) this.received = this.received.subarray(this.received.length - KEEP_BYTES);
      if (!this.upgraded) {
        const head = readUpgradeResponse(this.received);
        if (head.kind === "open") {
          this.upgraded = true;
          this.bodyAt = head.bodyAt;
        }
      }
      this.wake();
    });
    this.socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Waits until `test()` holds, the socket closed, or `ms` passed; returns `test()`. */
  private until(test: () => boolean, ms: number): Promise<boolean> {
    if (test() || this.closed) return Promise.resolve(test());
    return new Promise((resolve) => {
      const done = (): void => {
        if (!test() && !this.closed) return;
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(test());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(test());
      }, ms);
      this.waiters.add(done);
    });
  }

  /** True once the 101 came. */
  opened(ms = REPLY_BOUND_MS): Promise<boolean> {
    return this.until(() => this.upgraded, ms);
  }

  /** The login reply (id 1): "accepted", "refused", or null when none came in time. */
  async loginReply(ms = REPLY_BOUND_MS): Promise<"accepted" | "refused" | null> {
    const body = (): Buffer => (this.upgraded ? this.received.subarray(Math.min(this.bodyAt, this.received.length)) : Buffer.alloc(0));
    if (!(await this.until(() => body().includes(LOGIN_REPLY), ms))) return null;
    return body().includes(LOGIN_ACCEPTED) ? "accepted" : "refused";
  }

  /** Waits up to `ms` for the peer to end its side or the socket to close; true if it did. */
  endedWithin(ms: number): Promise<boolean> {
    return this.until(() => this.ended || this.closed, ms);
  }

  /** The status of the server's close frame among the bytes kept, or null when none is there. */
  serverCloseCode(): number | null {
    if (!this.upgraded) return null;
    let off = Math.min(this.bodyAt, this.received.length);
    for (;;) {
      let h;
      try {
        h = readServerFrame(this.received, off);
      } catch {
        return null;
      }
      if (h === null) return null;
      if (h.opcode === 0x8) return h.end - h.start >= 2 ? this.received.readUInt16BE(h.start) : 1005;
      off = h.end;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the misbehaving clients against `target` on the App ID project `appId`. */
export function startAbuseLane(target: WsTarget, appId: string): Lane {
  const s = ABUSE_SETTINGS;
  const counts = new Counts();
  let n = 0;
  let logins = 0;
  let stopping = false;
  const loginFrame = (uid: string): Buffer => maskedTextFrame(JSON.stringify({ id: 1, op: "login", appId, uid, token: null, profile: "rtm1" }));
  const pingFrame = maskedTextFrame('{"id":2,"op":"ping"}');

  const abrupt = async (): Promise<void> => {
    const i = n++;
    if (i % 5 === 4) {
      // Half an upgrade request, then gone.
      const p = new RawProbe(target, false);
      p.socket.once("connect", () => {
        const req = upgradeRequest(target);
        p.socket.write(req.subarray(0, req.length >> 1));
        setTimeout(() => p.destroy(), 50);
      });
      await sleep(100);
      p.destroy();
      return counts.bump("abrupt: mid-upgrade");
    }
    const p = new RawProbe(target);
    if (!(await p.opened())) {
      p.destroy();
      return counts.bump("abrupt: upgrade failed");
    }
    logins++;
    p.socket.write(loginFrame(`ab-${i}`));
    if (i % 3 === 2) {
      p.destroy();
      return counts.bump("abrupt: before the login reply");
    }
    const reply = await p.loginReply();
    p.destroy();
    counts.bump(reply === null ? "abrupt: no login reply" : `abrupt: after login ${reply}`);
  };

  const silent = async (): Promise<void> => {
    const p = new RawProbe(target);
    if (!(await p.opened())) {
      p.destroy();
      return counts.bump("silent: upgrade failed");
    }
    counts.bump("silent: opened");
    // Read nothing: the gateway's close frame (login deadline) stays unanswered in our receive
    // buffer, so only its close timeout can release the socket.
    p.socket.pause();
    const started = performance.now();
    while (!p.closed && !stopping && performance.now() - started < s.silent.holdMs) await sleep(250);
    if (stopping) {
      p.destroy();
      return counts.bump("silent: destroyed by us at the end");
    }
    // Now read what came: the close frame, and whether the gateway has let go of the socket.
    p.socket.resume();
    const ended = await p.endedWithin(1_000);
    const code = p.serverCloseCode();
    counts.bump(`silent: ${code === null ? "no close frame" : `close ${code}`}, ${ended ? "socket released by the gateway" : "socket still open after the hold"}`);
    p.destroy();
  };

  const nonReader = async (): Promise<void> => {
    const p = new RawProbe(target);
    if (!(await p.opened())) {
      p.destroy();
      return counts.bump("non-reader: upgrade failed");
    }
    logins++;
    p.socket.write(loginFrame(`nr-${n++}`));
    const reply = await p.loginReply();
    if (reply !== "accepted") {
      p.destroy();
      return counts.bump(`non-reader: login ${reply ?? "unanswered"}`);
    }
    p.socket.pause();
    const started = performance.now();
    let pings = 0;
    let waits = 0;
    while (!p.closed && !stopping && performance.now() - started < s.nonReader.burstMs && pings < s.nonReader.maxPings) {
      if (p.socket.writableLength >= s.nonReader.maxUnsentBytes) {
        waits++;
        await sleep(20);
        continue;
      }
      for (let k = 0; k < 256 && pings < s.nonReader.maxPings; k++, pings++) p.socket.write(pingFrame);
      await new Promise((r) => setImmediate(r));
    }
    counts.bump("non-reader: pings sent", pings);
    counts.bump("non-reader: waits for our own buffer", waits);
    counts.bump(p.closed ? "non-reader: closed by the gateway" : "non-reader: bursts completed");
    p.destroy();
  };

  const abrupts = ticker(s.abrupt.everyMs, s.abrupt.maxAlive, counts, abrupt);
  const silents = ticker(s.silent.everyMs, s.silent.maxAlive, counts, silent);
  let nonReaderRun: Promise<void> | null = null;
  const startNonReader = (): void => {
    if (nonReaderRun !== null || stopping) return;
    nonReaderRun = nonReader()
      .catch(() => counts.bump("lane error"))
      .finally(() => (nonReaderRun = null));
  };
  let nonReaderTimer: NodeJS.Timeout | null = null;
  const first = setTimeout(() => {
    startNonReader();
    nonReaderTimer = setInterval(startNonReader, s.nonReader.everyMs);
  }, s.nonReader.firstAfterMs);

  return {
    name: "misbehaving clients",
    counts,
    logins: () => logins,
    stop: async () => {
      stopping = true;
      clearTimeout(first);
      if (nonReaderTimer !== null) clearInterval(nonReaderTimer);
      await Promise.all([abrupts.stop(), silents.stop(), nonReaderRun ?? Promise.resolve()]);
    },
  };
}
