import { deflateSync } from "node:zlib";
import { ByteWriter } from "../codec/byte-writer.js";
import { checkHex32, checkU32 } from "../build-checks.js";
import type { Rtm2Grant } from "../rtm2-permissions.js";
import { mac007 } from "./mac.js";
import { RTM2_PRIVILEGE_LOGIN, RTM_PRIVILEGE_LOGIN, SERVICE_TYPE } from "./services.js";

/** Privilege id → value in seconds after issueTs (0 = no limit); written in ascending id order. */
type Privileges = Iterable<readonly [number, number]>;

/**
 * A service this builder can write: every type of `agora-token` 2.0.6's `AccessToken2`
 * (docs/token-services.md, "The service types"), with the fields in the order they are packed.
 * Strings are written as UTF-8 `bytes16`.
 */
export type ServiceSpec =
  | { readonly type: typeof SERVICE_TYPE.rtc; readonly privileges: Privileges; readonly channelName: string; readonly uid: string }
  | { readonly type: typeof SERVICE_TYPE.rtm; readonly privileges: Privileges; readonly userId: string }
  | { readonly type: typeof SERVICE_TYPE.streaming; readonly privileges: Privileges; readonly channelName: string; readonly account: string }
  | { readonly type: typeof SERVICE_TYPE.fpa; readonly privileges: Privileges }
  | { readonly type: typeof SERVICE_TYPE.chat; readonly privileges: Privileges; readonly userId: string }
  | { readonly type: typeof SERVICE_TYPE.fcdn; readonly privileges: Privileges; readonly channelName: string; readonly account: string }
  | {
      readonly type: typeof SERVICE_TYPE.apaas;
      readonly privileges: Privileges;
      readonly roomUuid: string;
      readonly userUuid: string;
      /** A signed 16-bit integer (-32768..32767). */
      readonly role: number;
    }
  | {
      readonly type: typeof SERVICE_TYPE.rtm2;
      readonly privileges: Privileges;
      readonly userId: string;
      /** Written in the order given (Agora's builder sorts by resource type, then permission type). */
      readonly permissions: readonly Rtm2Grant[];
    }
  | { readonly type: typeof SERVICE_TYPE.convoai; readonly privileges: Privileges }
  | { readonly type: typeof SERVICE_TYPE.stt; readonly privileges: Privileges };

/** Inputs of a 007 AccessToken2. */
export interface Build007Input {
  readonly appId: string;
  readonly certificate: string;
  /** Absolute Unix seconds. */
  readonly issueTs: number;
  /** Lifetime in seconds from issueTs. */
  readonly expire: number;
  readonly salt: number;
  readonly services: readonly ServiceSpec[];
}

function checkU16(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`${name} must be an integer in 0..65535`);
}

function writeRtm2Permissions(w: ByteWriter, grants: readonly Rtm2Grant[]): void {
  checkU16("the RTM2 resource-type count", grants.length);
  w.u16(grants.length);
  for (const g of grants) {
    checkU16("an RTM2 resource type", g.resourceType);
    checkU16("an RTM2 permission count", g.permissions.length);
    w.u16(g.resourceType).u16(g.permissions.length);
    for (const p of g.permissions) {
      checkU16("an RTM2 permission type", p.permType);
      checkU16("an RTM2 resource count", p.resources.length);
      w.u16(p.permType).u16(p.resources.length);
      for (const r of p.resources) w.bytes16(r);
    }
  }
}

function writeService(w: ByteWriter, s: ServiceSpec): void {
  const privileges = [...s.privileges];
  for (const [k, v] of privileges) {
    checkU16("a privilege id", k);
    checkU32(`privilege ${k}`, v);
  }
  w.u16(s.type).map16_32(privileges);
  switch (s.type) {
    case SERVICE_TYPE.rtc:
      w.bytes16(s.channelName).bytes16(s.uid);
      break;
    case SERVICE_TYPE.rtm:
    case SERVICE_TYPE.chat:
      w.bytes16(s.userId);
      break;
    case SERVICE_TYPE.streaming:
    case SERVICE_TYPE.fcdn:
      w.bytes16(s.channelName).bytes16(s.account);
      break;
    case SERVICE_TYPE.apaas:
      if (!Number.isInteger(s.role) || s.role < -32768 || s.role > 32767) throw new RangeError("the APaaS role must be an integer in -32768..32767");
      w.bytes16(s.roomUuid).bytes16(s.userUuid).i16(s.role);
      break;
    case SERVICE_TYPE.rtm2:
      w.bytes16(s.userId);
      writeRtm2Permissions(w, s.permissions);
      break;
    case SERVICE_TYPE.fpa:
    case SERVICE_TYPE.convoai:
    case SERVICE_TYPE.stt:
      break;
    default:
      throw new TypeError(`unknown 007 service type ${(s as { type: unknown }).type}`);
  }
}

/**
 * Builds a 007 token as Agora's builders do (docs/tokens.md, "The 007 format"): services sorted by type
 * (stable), privilege maps by id, the signature chain, zlib at the default level,
 * standard base64.
 *
 * @throws TypeError for an App ID or certificate that is not 32 hex characters, no service, or an
 *   unknown service type; RangeError for a number out of its field's range or a string over
 *   65535 UTF-8 bytes.
 */
export function build007(input: Build007Input): string {
  checkHex32("appId", input.appId);
  checkHex32("certificate", input.certificate);
  checkU32("issueTs", input.issueTs);
  checkU32("expire", input.expire);
  checkU32("salt", input.salt);
  if (input.services.length === 0) throw new TypeError("a 007 token needs at least one service");
  checkU16("the service count", input.services.length);
  const services = input.services
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.type - b.s.type || a.i - b.i)
    .map((e) => e.s);
  const w = new ByteWriter().bytes16(input.appId).u32(input.issueTs).u32(input.expire).u32(input.salt).u16(services.length);
  for (const s of services) writeService(w, s);
  const signingInfo = w.bytes();
  const signature = mac007(input.certificate, input.issueTs, input.salt, signingInfo);
  const payload = Buffer.concat([new ByteWriter().bytes16(signature).bytes(), signingInfo]);
  return `007${deflateSync(payload).toString("base64")}`;
}

/** The RTM login service of `RtmTokenBuilder2.buildToken`: privilege 1 for `expire` seconds. */
export function rtmService(userId: string, expire: number): ServiceSpec {
  return { type: SERVICE_TYPE.rtm, privileges: [[RTM_PRIVILEGE_LOGIN, expire]], userId };
}

/**
 * The RTM2 service of `RtmTokenBuilder2.buildTokenWithPermissions`: the login privilege for
 * `expire` seconds and the resource grants.
 */
export function rtm2Service(userId: string, permissions: readonly Rtm2Grant[], expire: number): ServiceSpec {
  return { type: SERVICE_TYPE.rtm2, privileges: [[RTM2_PRIVILEGE_LOGIN, expire]], userId, permissions };
}
