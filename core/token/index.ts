/** The public entry of the token core: parse, verify and build Agora 006/007 tokens. */
export { verifyToken, verifierFor, TOKEN_VERSIONS } from "./verifier-registry.js";
export type { TokenVersion, TokenVerifier } from "./verifier-registry.js";
export type { VerifyRequest } from "./verify-request.js";
export type { VerifiedToken, VerifyResult } from "./verified-token.js";
export { parseToken } from "./parse-token.js";
export type { ParsedToken, ParsedToken006, ParsedToken007, Service007, Rtm2Grant } from "./parsed-token.js";
export { DEFAULT_TOKEN_LIMITS } from "./token-limits.js";
export type { TokenLimits } from "./token-limits.js";
export { buildRtmToken, TOKEN_006_LIFETIME_SECONDS } from "./build-rtm-token.js";
export type { RtmTokenInput } from "./build-rtm-token.js";
export { build006 } from "./v006/build.js";
export type { Build006Input } from "./v006/build.js";
export { build007, rtmService, rtm2Service } from "./v007/build.js";
export type { Build007Input, ServiceSpec } from "./v007/build.js";
export { SERVICE_TYPE, RTM_PRIVILEGE_LOGIN, RTM2_PRIVILEGE_LOGIN, serviceName } from "./v007/services.js";
export { rtmLogin007 } from "./v007/verify.js";
export type { RtmLogin007 } from "./v007/verify.js";
export {
  RTM2_RESOURCE_TYPE,
  RTM2_PERMISSION_TYPE,
  Rtm2PermissionsSyntaxError,
  parseRtm2Permissions,
  formatRtm2Permissions,
  rtm2ResourceName,
  rtm2PermissionName,
} from "./rtm2-permissions.js";
export type { Rtm2Permission } from "./rtm2-permissions.js";
export { PRIVILEGE_RTM_LOGIN } from "./v006/verify.js";
export { describeToken } from "./describe-token.js";
export type { Described } from "./describe-token.js";
export { tokenIdentity, TOKEN_IDENTITY_HEX_LENGTH } from "./token-identity.js";
