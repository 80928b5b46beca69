/**
 * An app's login module on Agora's RTM 1.x Web SDK, written the way Agora's Web quickstart and token
 * guide write it: one client from `AgoraRTM.createInstance(APP_ID)`, `client.login({ uid, token })`
 * with a token from the app's token server, `client.renewToken()` when `TokenPrivilegeWillExpire`
 * fires, `client.logout()`, and the connection state shown to the user.
 *
 * Nothing here knows about tests or about rtm-auth-gateway: the tests swap `agora-rtm-sdk` for
 * `rtm-auth-gateway/compat/agora-rtm-sdk` with one alias line (../vitest.config.ts).
 */
import AgoraRTM from "agora-rtm-sdk";

/** What the app shows. */
export interface LoginView {
  /** "offline", "connecting", "online", "signed in elsewhere", "session expired", "disconnected". */
  status: string;
  /** The last login error shown to the user, e.g. "Login failed (5)". */
  error: string | null;
  /** The app's log, as the quickstart prints it. */
  log: string[];
}

/** The app's token server: a fresh RTM token for `uid`. */
export type FetchToken = (uid: string) => Promise<string>;

export function createLogin(appId: string, fetchToken: FetchToken) {
  const client = AgoraRTM.createInstance(appId);
  const view: LoginView = { status: "offline", error: null, log: [] };
  let uid = "";

  client.on("ConnectionStateChanged", (newState, reason) => {
    view.log.push(`on connection state changed to ${newState} reason: ${reason}`);
    if (newState === AgoraRTM.ConnectionState.CONNECTED) view.status = "online";
    else if (newState === AgoraRTM.ConnectionState.CONNECTING) view.status = "connecting";
    else if (newState === AgoraRTM.ConnectionState.ABORTED) {
      if (reason === AgoraRTM.ConnectionChangeReason.REMOTE_LOGIN) view.status = "signed in elsewhere";
      else if (reason === AgoraRTM.ConnectionChangeReason.TOKEN_EXPIRED) view.status = "session expired";
      else view.status = "disconnected";
    } else view.status = "offline";
  });

  // Renew the token before it expires (30 s before, the SDK says).
  client.on("TokenPrivilegeWillExpire", async () => {
    try {
      await client.renewToken(await fetchToken(uid));
      view.log.push("token renewed");
    } catch (err) {
      view.log.push(`token renewal failed: ${(err as Error).message}`);
    }
  });

  client.on("TokenExpired", () => {
    view.log.push("token expired");
  });

  return {
    view,
    async login(user: string): Promise<void> {
      uid = user;
      view.error = null;
      try {
        await client.login({ uid, token: await fetchToken(uid) });
        view.log.push(`${uid} logged in`);
      } catch (err) {
        view.error = `Login failed (${(err as { code?: number }).code})`;
        view.log.push(`login failed: ${(err as Error).message}`);
      }
    },
    async logout(): Promise<void> {
      await client.logout();
      view.log.push(`${uid} logged out`);
    },
  };
}
