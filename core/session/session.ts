import type { CertificateSlot } from "../certificate/active-certificate.js";
import type { Profile } from "../protocol/wire.js";

/**
 * The lifecycle of one connection's session (docs/protocol.md, "Login"):
 * awaiting_login → logged_in → (logout) awaiting_login, or → closed.
 */
export type SessionPhase = "awaiting_login" | "logged_in" | "closed";

/** A live, logged-in session as the rest of the system sees it (admin list, journal, metrics). */
export interface SessionInfo {
  readonly sessionId: string;
  readonly appId: string;
  readonly uid: string;
  readonly profile: Profile;
  readonly credential: "appid" | "token";
  readonly tokenVersion: "006" | "007" | null;
  /** Certificate that verified the current token; never shown to the client. */
  readonly slot: CertificateSlot | null;
  /** Last valid second of the current token, or null (App ID login). */
  readonly expiresAt: number | null;
  /** Unix seconds of the login. */
  readonly loggedInAt: number;
}
