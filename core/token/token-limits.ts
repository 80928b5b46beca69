/** Size limits applied before any decoding work (docs/tokens.md, "Size and version"; "Decoding"). */
export interface TokenLimits {
  /** Longest token string accepted, in characters. Default 2048. */
  readonly maxTokenLength: number;
  /** Largest inflated 007 payload, in bytes; inflation stops there. Default 8192. */
  readonly maxInflatedBytes: number;
}

/** The default limits (MAX_TOKEN_LENGTH, MAX_INFLATED_BYTES; docs/configuration.md). */
export const DEFAULT_TOKEN_LIMITS: TokenLimits = Object.freeze({
  maxTokenLength: 2048,
  maxInflatedBytes: 8192,
});
