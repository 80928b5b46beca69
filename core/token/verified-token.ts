import type { CertificateSlot } from "../certificate/active-certificate.js";
import type { TokenReason } from "../errors.js";
import type { ParsedToken } from "./parsed-token.js";

/** A token that passed every check, normalised across versions. */
export interface VerifiedToken {
  readonly version: "006" | "007";
  readonly appId: string;
  /** The RTM user id the token was verified for (the login uid). */
  readonly uid: string;
  /** 007: issueTs. 006 carries no issue time: null. */
  readonly issuedAt: number | null;
  /** Token-level expiry, absolute Unix seconds (006 `ts`; 007 `issueTs + expire`). */
  readonly tokenExpiresAt: number;
  /** RTM login privilege expiry, absolute Unix seconds; null when the privilege is 0 (no limit). */
  readonly privilegeExpiresAt: number | null;
  /** The earlier of the two: the last second this token is valid (expired when `now > expiresAt`). */
  readonly expiresAt: number;
  readonly salt: number;
}

/** The outcome of verification. Refusals are values, not exceptions: this is the hot path. */
export type VerifyResult =
  | {
      readonly valid: true;
      readonly token: VerifiedToken;
      /** The certificate that reproduced the MAC: for metrics, never for the client. */
      readonly slot: CertificateSlot;
      readonly parsed: ParsedToken;
    }
  | {
      readonly valid: false;
      /** The first check that failed, in the order of docs/tokens.md, "The checks, in order". */
      readonly reason: TokenReason;
      /** Private detail for logs and explain; never sent to a client. */
      readonly detail: string;
      /** The decoded token when parsing got that far. */
      readonly parsed: ParsedToken | null;
    };
