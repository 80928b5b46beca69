/**
 * The LoginBroadcast port: how the gateways sharing one state make the newest login of an
 * identity win everywhere (docs/agora-behaviour.md, "Remote login").
 *
 * - `announce` is fire-and-forget: a login never waits for it, and a failure to announce is
 *   logged by the implementation, never thrown.
 * - Listeners hear logins made on **other** gateways only (`origin` differs from ours), and only
 *   those that concern a session of this gateway when the implementation knows which
 *   (`replaces`).
 * - The in-process implementation has no peers: it hears nothing.
 */
export interface RemoteLogin {
  readonly appId: string;
  readonly uid: string;
  /** The new session, on the gateway `origin`. */
  readonly sessionId: string;
  /** The gateway where the identity logged in. */
  readonly origin: string;
  /**
   * The session of this gateway that the new login replaced. When present, only the session with
   * exactly this id is ended (a newer session of the identity here is left alone); when absent,
   * any session of the identity here other than `sessionId` is.
   */
  readonly replaces?: string;
}

/** One live session, as `trackSessions` lists them. */
export interface LiveSessionRef {
  readonly appId: string;
  readonly uid: string;
  readonly sessionId: string;
}

/** What an implementation has done since it started (counters; read at scrape time). */
export interface LoginBroadcastStats {
  /** Remote-login messages this gateway sent to another gateway. */
  readonly messagesSent: number;
  /** Remote-login messages this gateway received (well-formed ones). */
  readonly messagesReceived: number;
  /**
   * Ownership writes at login, by what the record held: written over nothing, over a session of
   * this gateway, of a live gateway (told) or of a dead one; or not written, because the record
   * names a newer login (which wins: the session here ends).
   */
  readonly ownerWrites: {
    readonly none: number;
    readonly thisGateway: number;
    readonly liveGateway: number;
    readonly deadGateway: number;
    readonly newerLogin: number;
  };
  /** Ownership records that could not be written (Redis unreachable or refusing). */
  readonly ownerWriteFailures: number;
}

export interface LoginBroadcast {
  /** This gateway's id (also the prefix of its session ids). */
  readonly origin: string;
  /** `sessionId` of `appId`/`uid` logged in here. Never throws, never waits. */
  announce(appId: string, uid: string, sessionId: string): void;
  /** `sessionId` logged out here: the implementation may forget it. Never throws, never waits. */
  release?(appId: string, uid: string, sessionId: string): void;
  /**
   * Gives the implementation a way to list this gateway's live sessions, read off the login path
   * (to refresh or restore what it keeps about them). Called once, by the session manager.
   */
  trackSessions?(list: () => Iterable<LiveSessionRef>): void;
  onRemoteLogin(listener: (login: RemoteLogin) => void): () => void;
  /** Counters for the metrics, when the implementation keeps any. */
  stats?(): LoginBroadcastStats;
  close(): Promise<void>;
}

/** A single gateway: nobody else to tell. */
export class LocalLoginBroadcast implements LoginBroadcast {
  readonly origin: string;

  constructor(origin: string) {
    this.origin = origin;
  }

  announce(): void {}

  onRemoteLogin(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}
