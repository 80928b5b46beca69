/**
 * The official vectors of AgoraIO/Tools (vectors/agora-tools-official.json, provenance in
 * vectors/SOURCE.md): their shape, the loader, and their inputs as our builders' inputs. Shared
 * by the conformance, CLI and integration runners.
 */
import { readFileSync } from "node:fs";
import type { Rtm2Grant, ServiceSpec } from "../../core/token/index.js";

/** One service of a 007 case, as the official test builds it. */
export interface OfficialService {
  readonly type: number;
  readonly name: string;
  /** Privilege id → seconds after issueTs. */
  readonly privileges: Readonly<Record<string, number>>;
  readonly channelName?: string;
  readonly uid?: string;
  readonly account?: string;
  readonly userId?: string;
  readonly roomUuid?: string;
  readonly userUuid?: string;
  readonly role?: number;
  readonly permissions?: readonly Rtm2Grant[];
}

export interface OfficialVector {
  readonly name: string;
  readonly source: string;
  readonly language: string;
  readonly tests: readonly string[];
  readonly version: "006" | "007";
  readonly kind: string;
  readonly appId: string;
  readonly appCertificate: string;
  /** The login uid checked. */
  readonly uid: string;
  /** 007: issueTs; 006: the token-level expiry. Null for parse-negative literals. */
  readonly ts: number | null;
  /** 007: the token lifetime; 006: the first privilege's absolute expiry. */
  readonly expire: number | null;
  readonly salt: number | null;
  readonly now: number;
  readonly token: string;
  readonly expect: { readonly valid: boolean; readonly reason?: string };
  readonly issueTs?: number;
  readonly services?: readonly OfficialService[];
  /** 006 RTC layout: the channel and uid slots, and the privileges with absolute expiries. */
  readonly channel?: string;
  readonly tokenUid?: string;
  readonly privileges?: ReadonlyArray<{ readonly id: number; readonly expiresAt: number }>;
  readonly derived?: string;
  readonly note?: string;
  readonly role?: string;
}

export const OFFICIAL_VECTORS = JSON.parse(
  readFileSync(new URL("./vectors/agora-tools-official.json", import.meta.url), "utf8"),
) as readonly OfficialVector[];

/** The case named `name` (throws when there is none). */
export function officialVector(name: string): OfficialVector {
  const v = OFFICIAL_VECTORS.find((x) => x.name === name);
  if (v === undefined) throw new Error(`official vector ${name} missing`);
  return v;
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`vector service lacks ${what}`);
  return v;
}

/** One official service as our builder's input. */
export function serviceSpec(s: OfficialService): ServiceSpec {
  const privileges = Object.entries(s.privileges).map(([k, v]) => [Number(k), v] as const);
  switch (s.type) {
    case 1:
      return { type: 1, privileges, channelName: required(s.channelName, "channelName"), uid: required(s.uid, "uid") };
    case 2:
    case 5:
      return { type: s.type, privileges, userId: required(s.userId, "userId") };
    case 3:
    case 6:
      return { type: s.type, privileges, channelName: required(s.channelName, "channelName"), account: required(s.account, "account") };
    case 4:
    case 9:
    case 10:
      return { type: s.type, privileges };
    case 7:
      return { type: 7, privileges, roomUuid: required(s.roomUuid, "roomUuid"), userUuid: required(s.userUuid, "userUuid"), role: required(s.role, "role") };
    case 8:
      return { type: 8, privileges, userId: required(s.userId, "userId"), permissions: required(s.permissions, "permissions") };
    default:
      throw new Error(`vector service of unknown type ${s.type}`);
  }
}

/** True for the cases that carry build inputs (every case but the parse-negative literals). */
export function rebuildable(v: OfficialVector): boolean {
  return v.version === "007" ? v.services !== undefined : v.channel !== undefined;
}
