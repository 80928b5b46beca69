import { crc32 } from "node:zlib";
import { ByteWriter } from "../codec/byte-writer.js";
import { checkHex32, checkU32 } from "../build-checks.js";
import { mac006Raw } from "./mac.js";

/** Inputs of a 006 AccessToken. The RTM layout puts the account in `channel` and leaves `uid` empty. */
export interface Build006Input {
  readonly appId: string;
  readonly certificate: string;
  readonly channel: string;
  readonly uid: string;
  readonly salt: number;
  /** Token-level expiry, absolute Unix seconds (the builders use build time + 86400). */
  readonly ts: number;
  /** Privilege id → absolute expiry (0 = no privilege-level limit). */
  readonly privileges: Iterable<readonly [number, number]>;
}

/**
 * Builds a 006 token byte-for-byte as Agora's Node builder does (docs/tokens.md, "The 006 format"):
 * `"006" + appId + base64(bytes16(sig) u32(crc_channel) u32(crc_uid) bytes16(m))`.
 */
export function build006(input: Build006Input): string {
  checkHex32("appId", input.appId);
  checkHex32("certificate", input.certificate);
  checkU32("salt", input.salt);
  checkU32("ts", input.ts);
  const privileges = [...input.privileges];
  for (const [k, v] of privileges) {
    checkU32(`privilege ${k}`, v);
    if (!Number.isInteger(k) || k < 0 || k > 0xffff) throw new RangeError("privilege ids are u16");
  }
  const m = new ByteWriter().u32(input.salt).u32(input.ts).map16_32(privileges).bytes();
  const signature = mac006Raw(input.certificate, input.appId, input.channel, input.uid, m);
  const content = new ByteWriter()
    .bytes16(signature)
    .u32(crc32(input.channel))
    .u32(crc32(input.uid))
    .bytes16(m)
    .bytes();
  return `006${input.appId}${content.toString("base64")}`;
}
