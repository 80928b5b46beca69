/**
 * The codes of failures the client decides itself (no gateway reply): timeouts, a closed socket,
 * and calls that need a session when there is no connection. Gateway refusals carry their own
 * code and name; this table is only for the client side (docs/reasons.md, "Client-side
 * codes").
 */
import type { Op, Profile } from "../core/protocol/wire.js";
import type { ClientOnlyReason } from "./rtm-error.js";

/** A numeric code with its SDK name. */
export interface ClientCode {
  readonly code: number;
  readonly name: string;
}

/** The reasons the client decides itself. */
export type LocalReason = ClientOnlyReason | "not_logged_in";

const R1_FAILURE = { code: 1, name: "RENEW_TOKEN_ERR_FAILURE" } as const;
const R2_NOT_CONNECTED = { code: -10025, name: "RTM_ERROR_NOT_CONNECTED" } as const;

/**
 * Per profile and operation. Choices where the SDKs document nothing:
 * - a socket that closes under a pending call: 1.x login `LOGIN_ERR_UNKNOWN` (1), renew
 *   `RENEW_TOKEN_ERR_FAILURE` (1), logout `LOGOUT_ERR_REJECTED` (1); 2.x login
 *   `RTM_ERROR_LOGIN_ABORTED` (-10013, "login interrupted"), other calls `RTM_ERROR_NOT_CONNECTED` (-10025);
 * - renew timeout: 1.x `RENEW_TOKEN_ERR_FAILURE` (1, what Web 1.6.0 returns after 20 s); 2.x
 *   `RTM_ERROR_RENEW_TOKEN_TIMEOUT` (-10026);
 * - renew/logout with no connection: the codes the gateway gives for `not_logged_in`
 *   (1.x 102; 2.x renew -10025);
 * - `ping` is not an SDK call: 1.x `PING_ERR_FAILURE` (1, a gateway-only name), 2.x -10025.
 */
const TABLE: Readonly<Record<Profile, Readonly<Record<Op, Partial<Readonly<Record<LocalReason, ClientCode>>>>>>> = {
  rtm1: {
    login: {
      login_timeout: { code: 9, name: "LOGIN_ERR_TIMEOUT" },
      connection_closed: { code: 1, name: "LOGIN_ERR_UNKNOWN" },
    },
    renewToken: {
      renew_timeout: R1_FAILURE,
      connection_closed: R1_FAILURE,
      not_logged_in: { code: 102, name: "RENEW_TOKEN_ERR_USER_NOT_LOGGED_IN" },
    },
    logout: {
      connection_closed: { code: 1, name: "LOGOUT_ERR_REJECTED" },
      not_logged_in: { code: 102, name: "LOGOUT_ERR_USER_NOT_LOGGED_IN" },
    },
    ping: {
      connection_closed: { code: 1, name: "PING_ERR_FAILURE" },
    },
  },
  rtm2: {
    login: {
      login_timeout: { code: -10011, name: "RTM_ERROR_LOGIN_TIMEOUT" },
      connection_closed: { code: -10013, name: "RTM_ERROR_LOGIN_ABORTED" },
    },
    renewToken: {
      renew_timeout: { code: -10026, name: "RTM_ERROR_RENEW_TOKEN_TIMEOUT" },
      connection_closed: R2_NOT_CONNECTED,
      not_logged_in: R2_NOT_CONNECTED,
    },
    // logout with no connection resolves in 2.x (Web 2.3.0), so it has no not_logged_in code.
    logout: {
      connection_closed: R2_NOT_CONNECTED,
    },
    ping: {
      connection_closed: R2_NOT_CONNECTED,
    },
  },
};

/** Fallback for combinations the client never produces. */
const UNKNOWN: Readonly<Record<Profile, ClientCode>> = {
  rtm1: { code: 1, name: "LOGIN_ERR_UNKNOWN" },
  rtm2: { code: -10012, name: "RTM_ERROR_LOGIN_REJECTED" },
};

/** The code and name the client uses for a failure it decided itself. */
export function clientCode(profile: Profile, op: Op, reason: LocalReason): ClientCode {
  return TABLE[profile][op][reason] ?? UNKNOWN[profile];
}

/** Default client-side login timeouts: 12 s for 1.x (Web 1.6.0, code 9), 10 s for 2.x (code -10011). */
export const DEFAULT_LOGIN_TIMEOUT_MS: Readonly<Record<Profile, number>> = { rtm1: 12_000, rtm2: 10_000 };

/** Default client-side renew timeouts: Web 1.6.0 waits 20 s; 2.x documents none, 10 s chosen like its login. */
export const DEFAULT_RENEW_TIMEOUT_MS: Readonly<Record<Profile, number>> = { rtm1: 20_000, rtm2: 10_000 };
