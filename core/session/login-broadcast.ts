/**
 * The LoginBroadcast port: tells the other gateways sharing one state that an identity logged
 * in here, so the newest session wins everywhere (docs/agora-behaviour.md, "Remote login").
 *
 * - `announce` is fire-and-forget: a login never waits for it, and a failure to announce is
 *   logged by the implementation, never thrown.
 * - Listeners hear logins announced by **other** gateways only (`origin` differs from ours).
 * - The in-process implementation has no peers: it hears nothing.
 */
export interface RemoteLogin {
  readonly appId: string;
  readonly uid: string;
  readonly sessionId: string;
  /** The announcing gateway's id. */
  readonly origin: string;
}

export interface LoginBroadcast {
  /** This gateway's id (also the prefix of its session ids). */
  readonly origin: string;
  announce(appId: string, uid: string, sessionId: string): void;
  onRemoteLogin(listener: (login: RemoteLogin) => void): () => void;
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
