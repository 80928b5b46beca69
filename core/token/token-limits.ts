/** Size limits applied before any decoding work (token-formats.md §4.1, §4.3, §4.7). */
export interface TokenLimits {
  /** Longest token string accepted, in characters. Spec: 2048. */
  readonly maxTokenLength: number;
  /** Largest inflated 007 payload, in bytes; inflation stops there. Spec: 8192. */
  readonly maxInflatedBytes: number;
}

/** The limits of token-formats.md. */
export const DEFAULT_TOKEN_LIMITS: TokenLimits = Object.freeze({
  maxTokenLength: 2048,
  maxInflatedBytes: 8192,
});
