/**
 * An app's login module on Agora's RTM 2.x Web SDK, written the way Agora's Signaling 2.x Web
 * quickstart and token guide write it: `new AgoraRTM.RTM(appId, userId, rtmConfig)`,
 * `rtm.login({ token })` in a try/catch that reads the error's `errorCode` and `reason`,
 * `rtm.renewToken()` on `tokenPrivilegeWillExpire`, `rtm.logout()`, and the `linkState` event shown
 * to the user.
 *
 * Nothing here knows about tests or about rtm-auth-gateway: the tests swap `agora-rtm` for
 * `rtm-auth-gateway/compat/agora-rtm` with one alias line (../vitest.config.ts).
 */
import AgoraRTM from "agora-rtm";

const { RTM } = AgoraRTM;

/** What the app shows. */
export interface LoginView {
  /** "offline", "connecting", "online", "signed in elsewhere", "session expired", "disconnected". */
  status: string;
  /** The last login error shown to the user, e.g. "Login failed (-10005)". */
  error: string | null;
  /** The app's log. */
  log: string[];
}

/** The app's token server: a fresh RTM token for `uid`. */
export type FetchToken = (uid: string) => Promise<string>;

export function createLogin(appId: string, userId: string, fetchToken: FetchToken) {
  const rtm = new RTM(appId, userId, { logLevel: "warn" });
  const view: LoginView = { status: "offline", error: null, log: [] };

  rtm.addEventListener("linkState", (event) => {
    view.log.push(`link state ${event.previousState} -> ${event.currentState} (${event.reasonCode})`);
    switch (event.currentState) {
      case "CONNECTED":
        view.status = "online";
        break;
      case "CONNECTING":
        view.status = "connecting";
        break;
      case "FAILED":
        if (event.reasonCode === "SAME_UID_LOGIN") view.status = "signed in elsewhere";
        else if (event.reasonCode === "TOKEN_EXPIRED") view.status = "session expired";
        else view.status = "disconnected";
        break;
      default:
        view.status = "offline";
    }
  });

  rtm.addEventListener("tokenPrivilegeWillExpire", async () => {
    try {
      await rtm.renewToken(await fetchToken(userId));
      view.log.push("token renewed");
    } catch (status) {
      view.log.push(`token renewal failed: ${(status as Error).message}`);
    }
  });

  return {
    view,
    async login(): Promise<void> {
      view.error = null;
      try {
        const result = await rtm.login({ token: await fetchToken(userId) });
        view.log.push(`logged in at ${result.timestamp}`);
      } catch (status) {
        const { errorCode, reason } = status as { errorCode: number; reason: string };
        view.error = `Login failed (${errorCode})`;
        view.log.push(`login failed: ${errorCode} ${reason}`);
      }
    },
    async logout(): Promise<void> {
      await rtm.logout();
      view.log.push("logged out");
    },
  };
}
