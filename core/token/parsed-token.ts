/**
 * The decoded, not yet verified, content of a token. Byte fields are views into the decoded
 * token; `signature` is kept for verification only and is never shown as if it meant anything.
 */
import type { Rtm2Grant } from "./rtm2-permissions.js";

/** A 006 (AccessToken) token, docs/tokens.md, "The 006 format". */
export interface ParsedToken006 {
  readonly version: "006";
  /** The clear-text App ID (characters 3..34). */
  readonly appId: string;
  readonly signature: Buffer;
  /** CRC-32 of the channel slot (the RTM account). Not authenticated. */
  readonly crcChannel: number;
  /** CRC-32 of the uid slot (empty for RTM). Not authenticated. */
  readonly crcUid: number;
  readonly salt: number;
  /** Token-level expiry, absolute Unix seconds. */
  readonly ts: number;
  /** Privilege id → absolute expiry (0 = no privilege-level limit), in token order. */
  readonly privileges: ReadonlyArray<readonly [number, number]>;
  /** The exact MACed message bytes `m`. */
  readonly message: Buffer;
}

/** One RTM2 (type 8) resource grant (core/token/rtm2-permissions.ts). */
export type { Rtm2Grant };

/** One 007 service, docs/token-services.md, "The service types". */
export interface Service007 {
  readonly type: number;
  /** The service's name from the table (`rtc`, `rtm`, …). */
  readonly name: string;
  /** Privilege id → expiry in seconds relative to issueTs (0 = no limit), in token order. */
  readonly privileges: ReadonlyArray<readonly [number, number]>;
  /**
   * Type-specific fields, named as in docs/token-services.md, "The service types": byte strings as read (UTF-8 text),
   * numbers (APaaS `role`), and for RTM2 (type 8) `permissions`, the resource grants in token order.
   */
  readonly fields: Readonly<Record<string, Buffer | number | readonly Rtm2Grant[]>>;
}

/** A 007 (AccessToken2) token, docs/tokens.md, "The 007 format". */
export interface ParsedToken007 {
  readonly version: "007";
  readonly appId: string;
  /** Absolute Unix seconds when the token was built. */
  readonly issueTs: number;
  /** Token lifetime in seconds, relative to issueTs. */
  readonly expire: number;
  readonly salt: number;
  /** The service count written in the token. */
  readonly serviceCount: number;
  /** The services that were parsed (parsing stops quietly at the first unknown type). */
  readonly services: readonly Service007[];
  /** The type that stopped the service walk, when one did. */
  readonly unknownServiceType: number | null;
  /** Bytes after the last parsed service (MACed, tolerated). */
  readonly trailingBytes: number;
  readonly signature: Buffer;
  /** The exact MACed bytes: everything after the signature. */
  readonly signingInfo: Buffer;
}

export type ParsedToken = ParsedToken006 | ParsedToken007;
