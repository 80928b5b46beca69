import type { VerifyRequest } from "./verify-request.js";
import type { VerifyResult } from "./verified-token.js";
import { DEFAULT_TOKEN_LIMITS } from "./token-limits.js";
import { verify006 } from "./v006/verify.js";
import { verify007 } from "./v007/verify.js";

/** The token versions this gateway verifies. */
export const TOKEN_VERSIONS = ["006", "007"] as const;
export type TokenVersion = (typeof TOKEN_VERSIONS)[number];

/** One verifier per version: a pure function of the request. */
export interface TokenVerifier {
  readonly version: TokenVersion;
  verify(req: VerifyRequest): VerifyResult;
}

const VERIFIERS: Readonly<Record<TokenVersion, TokenVerifier>> = {
  "006": { version: "006", verify: verify006 },
  "007": { version: "007", verify: verify007 },
};

/** The verifier for a token's 3-character prefix, or undefined for an unknown version. */
export function verifierFor(token: string): TokenVerifier | undefined {
  // Compared by character code: slicing a 3-character prefix would copy it on every call.
  if (token.charCodeAt(0) !== ZERO || token.charCodeAt(1) !== ZERO) return undefined;
  const c = token.charCodeAt(2);
  return c === SIX ? VERIFIERS["006"] : c === SEVEN ? VERIFIERS["007"] : undefined;
}

const ZERO = "0".charCodeAt(0);
const SIX = "6".charCodeAt(0);
const SEVEN = "7".charCodeAt(0);

/**
 * Verifies an RTM login token exactly as docs/tokens.md, "The checks, in order", says, checks in order, the first
 * failure deciding the reason. A pure function of (token, appId, uid, certificates, now): it
 * reads no clock and no store, and refusals are returned, not thrown.
 */
export function verifyToken(req: VerifyRequest): VerifyResult {
  const { token } = req;
  const max = (req.limits ?? DEFAULT_TOKEN_LIMITS).maxTokenLength;
  if (typeof token !== "string" || token.length < 3 || token.length > max) {
    const detail = typeof token !== "string" ? "token is not a string" : `token length ${token.length} outside 3..${max}`;
    return { valid: false, reason: "malformed", detail, parsed: null };
  }
  const verifier = verifierFor(token);
  if (verifier !== undefined) return verifier.verify(req);
  return { valid: false, reason: "unsupported_version", detail: "unknown version prefix", parsed: null };
}
