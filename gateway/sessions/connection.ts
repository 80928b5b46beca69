import type { CertificateSlot } from "../../core/certificate/active-certificate.js";
import type { Profile } from "../../core/protocol/wire.js";
import { RateWindow } from "../../core/session/rate-window.js";
import type { SessionInfo, SessionPhase } from "../../core/session/session.js";
import type { VisibleState } from "../protocol/profile-events.js";
import type { Transport } from "../ws/transport.js";

/**
 * One WebSocket connection and, once logged in, its session. Fields are flat (no nested
 * session object) to keep idle sessions small: the memory benchmark compares this against a
 * bare `ws` connection.
 */
export class Connection {
  readonly transport: Transport;
  phase: SessionPhase = "awaiting_login";
  profile: Profile = "rtm1";
  /** The state the client shows, as the events we sent say. */
  visible: VisibleState = "DISCONNECTED";
  readonly rate: RateWindow;
  /** Bumped whenever the session's token timers are re-armed or cancelled (lazy cancel). */
  timerGen = 0;
  deadline: ReturnType<typeof setTimeout> | null = null;

  // The session, valid while phase === "logged_in".
  sessionId = "";
  appId = "";
  uid = "";
  credential: "appid" | "token" = "appid";
  tokenVersion: "006" | "007" | null = null;
  slot: CertificateSlot | null = null;
  expiresAt: number | null = null;
  loggedInAt = 0;

  constructor(transport: Transport, callsPerSecond: number) {
    this.transport = transport;
    this.rate = new RateWindow(callsPerSecond);
  }

  /** The identity key used for remote-login detection. */
  get identity(): string {
    return `${this.appId}\u0000${this.uid}`;
  }

  /** The session as the admin API and journal see it. */
  info(): SessionInfo {
    return {
      sessionId: this.sessionId,
      appId: this.appId,
      uid: this.uid,
      profile: this.profile,
      credential: this.credential,
      tokenVersion: this.tokenVersion,
      slot: this.slot,
      expiresAt: this.expiresAt,
      loggedInAt: this.loggedInAt,
    };
  }
}
