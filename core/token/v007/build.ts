import { deflateSync } from "node:zlib";
import { ByteWriter } from "../codec/byte-writer.js";
import { checkHex32, checkU32 } from "../build-checks.js";
import { mac007 } from "./mac.js";
import { RTM_PRIVILEGE_LOGIN, SERVICE_TYPE } from "./services.js";

type Privileges = Iterable<readonly [number, number]>;

/** A service this builder can write: RTC (type 1) and RTM (type 2), the two an RTM login can meet. */
export type ServiceSpec =
  | { readonly type: typeof SERVICE_TYPE.rtc; readonly privileges: Privileges; readonly channelName: string; readonly uid: string }
  | { readonly type: typeof SERVICE_TYPE.rtm; readonly privileges: Privileges; readonly userId: string };

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

function writeService(w: ByteWriter, s: ServiceSpec): void {
  w.u16(s.type).map16_32(s.privileges);
  if (s.type === SERVICE_TYPE.rtc) w.bytes16(s.channelName).bytes16(s.uid);
  else w.bytes16(s.userId);
}

/**
 * Builds a 007 token as Agora's builders do (token-formats.md §3): services sorted by type
 * (stable), the signature chain of §3.5, zlib at the default level, standard base64.
 */
export function build007(input: Build007Input): string {
  checkHex32("appId", input.appId);
  checkHex32("certificate", input.certificate);
  checkU32("issueTs", input.issueTs);
  checkU32("expire", input.expire);
  checkU32("salt", input.salt);
  if (input.services.length === 0) throw new TypeError("a 007 token needs at least one service");
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
