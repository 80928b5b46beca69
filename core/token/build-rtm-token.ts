import type { TokenVersion } from "./verifier-registry.js";
import { build006 } from "./v006/build.js";
import { PRIVILEGE_RTM_LOGIN } from "./v006/verify.js";
import type { Rtm2Grant } from "./rtm2-permissions.js";
import { build007, rtm2Service, rtmService } from "./v007/build.js";

/** 006 tokens carry a token-level expiry of build time + 24 h in every official builder. */
export const TOKEN_006_LIFETIME_SECONDS = 86_400;

/** What an RTM login token is built from. Time and salt are inputs: core reads no clock or RNG. */
export interface RtmTokenInput {
  readonly version: TokenVersion;
  readonly appId: string;
  readonly certificate: string;
  readonly uid: string;
  /**
   * Lifetime in seconds from `issueTs`. 007: the token expire and the RTM login privilege
   * (as `RtmTokenBuilder2.buildToken`). 006: the privilege expires at `issueTs + expireSeconds`
   * (0 = no privilege limit) and the token at `issueTs + 86400`, as `RtmTokenBuilder.buildToken`.
   */
  readonly expireSeconds: number;
  /** Build time, Unix seconds. */
  readonly issueTs: number;
  readonly salt: number;
  /**
   * 007 only: build an RTM2 token instead, as `RtmTokenBuilder2.buildTokenWithPermissions`: one
   * type-8 service for `uid` holding the login privilege for `expireSeconds` and these resource
   * grants (`[]` for none). Absent: the RTM (type 2) token of `RtmTokenBuilder2.buildToken`.
   */
  readonly permissions?: readonly Rtm2Grant[];
}

/**
 * Builds an RTM login token the way Agora's RTM builders do, for either version.
 *
 * @throws TypeError for `permissions` on a 006 token, and the builders' own argument errors.
 */
export function buildRtmToken(input: RtmTokenInput): string {
  if (input.version === "006") {
    if (input.permissions !== undefined) throw new TypeError("RTM2 permissions need a 007 token");
    return build006({
      appId: input.appId,
      certificate: input.certificate,
      channel: input.uid,
      uid: "",
      salt: input.salt,
      ts: input.issueTs + TOKEN_006_LIFETIME_SECONDS,
      privileges: [[PRIVILEGE_RTM_LOGIN, input.expireSeconds === 0 ? 0 : input.issueTs + input.expireSeconds]],
    });
  }
  return build007({
    appId: input.appId,
    certificate: input.certificate,
    issueTs: input.issueTs,
    expire: input.expireSeconds,
    salt: input.salt,
    services: [
      input.permissions === undefined ? rtmService(input.uid, input.expireSeconds) : rtm2Service(input.uid, input.permissions, input.expireSeconds),
    ],
  });
}
