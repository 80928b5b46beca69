import type { TokenReason } from "../errors.js";
import type { ParsedToken } from "./parsed-token.js";
import { DEFAULT_TOKEN_LIMITS, type TokenLimits } from "./token-limits.js";
import { parse006 } from "./v006/parse.js";
import { parse007 } from "./v007/parse.js";

/** Decodes a token without verifying it (for `inspect` and `explain`), with the same limits. */
export function parseToken(
  token: string,
  limits: TokenLimits = DEFAULT_TOKEN_LIMITS,
): { ok: true; token: ParsedToken } | { ok: false; reason: Extract<TokenReason, "malformed" | "unsupported_version">; detail: string } {
  if (typeof token !== "string" || token.length < 3 || token.length > limits.maxTokenLength) {
    return { ok: false, reason: "malformed", detail: "token length out of range" };
  }
  const prefix = token.slice(0, 3);
  const r = prefix === "006" ? parse006(token) : prefix === "007" ? parse007(token, limits.maxInflatedBytes) : null;
  if (r === null) return { ok: false, reason: "unsupported_version", detail: "unknown version prefix" };
  return r.ok ? r : { ok: false, reason: "malformed", detail: r.detail };
}
