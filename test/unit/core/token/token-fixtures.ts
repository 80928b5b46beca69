/**
 * Hand-made token bytes for the unit tests. The encoders and MACs here are written from
 * docs/tokens.md directly (node:crypto, node:zlib), not taken from core, so a test can build
 * exactly the malformed or unusual token it needs and core is checked against an independent
 * reading of the spec.
 */
import { createHmac } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import type { ActiveCertificate } from "../../../../core/certificate/active-certificate.js";

export const APP_ID = "1de22a3147335f512f2ea7f21b1cc47a";
export const CERT = "bc9862a1bc79df352e11f61137115e27";
export const OTHER_CERT = "0f0e0d0c0b0a09080706050403020100";
export const ISSUE_TS = 1_718_000_000;

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

export function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16LE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

export function bytes16(v: Buffer | string): Buffer {
  const b = typeof v === "string" ? Buffer.from(v, "utf8") : v;
  return Buffer.concat([u16(b.length), b]);
}

/** A map16_32 in the order given (no sorting, duplicates kept). */
export function map16_32(entries: ReadonlyArray<readonly [number, number]>): Buffer {
  return Buffer.concat([u16(entries.length), ...entries.map(([k, v]) => Buffer.concat([u16(k), u32(v)]))]);
}

export function certs(...values: string[]): ActiveCertificate[] {
  return values.map((value, i) => ({ slot: i === 0 ? "primary" : "secondary", value }));
}

/** Deterministic filler bytes (sha256 chain) that do not compress. */
export function noise(n: number, seed = "noise"): Buffer {
  const out: Buffer[] = [];
  let block = createHmac("sha256", seed).update("0").digest();
  let total = 0;
  while (total < n) {
    out.push(block);
    total += block.length;
    block = createHmac("sha256", seed).update(block).digest();
  }
  return Buffer.concat(out).subarray(0, n);
}

// ---------------------------------------------------------------------------------------------
// 007
// ---------------------------------------------------------------------------------------------

export function rtmService(userId: Buffer | string, privileges: ReadonlyArray<readonly [number, number]> = [[1, 3600]]): Buffer {
  return Buffer.concat([u16(2), map16_32(privileges), bytes16(userId)]);
}

export function rtcService(channel: string, uid: string, privileges: ReadonlyArray<readonly [number, number]> = [[1, 0]]): Buffer {
  return Buffer.concat([u16(1), map16_32(privileges), bytes16(channel), bytes16(uid)]);
}

/** RTM2 (type 8): userId, then resource grants: [resourceType, [permType, resources[]][]][]. */
export function rtm2Service(
  userId: string,
  privileges: ReadonlyArray<readonly [number, number]>,
  grants: ReadonlyArray<readonly [number, ReadonlyArray<readonly [number, readonly string[]]>]> = [],
): Buffer {
  const parts = [u16(8), map16_32(privileges), bytes16(userId), u16(grants.length)];
  for (const [resourceType, perms] of grants) {
    parts.push(u16(resourceType), u16(perms.length));
    for (const [permType, resources] of perms) parts.push(u16(permType), u16(resources.length), ...resources.map((r) => bytes16(r)));
  }
  return Buffer.concat(parts);
}

/** The 007 MAC chain of docs/tokens.md, "The 007 format": ts and salt are the HMAC keys. */
export function mac007(certificate: string, issueTs: number, salt: number, signingInfo: Buffer): Buffer {
  const k1 = createHmac("sha256", u32(issueTs)).update(Buffer.from(certificate, "latin1")).digest();
  const k2 = createHmac("sha256", u32(salt)).update(k1).digest();
  return createHmac("sha256", k2).update(signingInfo).digest();
}

export interface Craft007 {
  appId?: string;
  certificate?: string;
  issueTs?: number;
  expire?: number;
  salt?: number;
  /** The service count written; defaults to the number of `services`. */
  serviceCount?: number;
  /** Encoded services, in token order. */
  services?: Buffer[];
  /** Bytes after the services (inside signing_info, so MACed). */
  trailing?: Buffer;
  /** Replaces the header after the appId (for truncation tests). */
  rawSigningInfo?: Buffer;
  /** Signature length to write (a correct MAC is cut or padded with zeros). */
  signatureLength?: number;
  /** Flips the first signature byte. */
  badSignature?: boolean;
}

export function signingInfo007(o: Craft007 = {}): Buffer {
  if (o.rawSigningInfo) return o.rawSigningInfo;
  const services = o.services ?? [rtmService("alice")];
  return Buffer.concat([
    bytes16(o.appId ?? APP_ID),
    u32(o.issueTs ?? ISSUE_TS),
    u32(o.expire ?? 3600),
    u32(o.salt ?? 7_654_321),
    u16(o.serviceCount ?? services.length),
    ...services,
    o.trailing ?? Buffer.alloc(0),
  ]);
}

/** The inflated 007 payload: bytes16(signature) || signing_info. */
export function payload007(o: Craft007 = {}): Buffer {
  const info = signingInfo007(o);
  let sig = mac007(o.certificate ?? CERT, o.issueTs ?? ISSUE_TS, o.salt ?? 7_654_321, info);
  if (o.badSignature) sig = Buffer.concat([Buffer.from([sig[0]! ^ 0xff]), sig.subarray(1)]);
  const len = o.signatureLength ?? 32;
  const signature = len <= 32 ? sig.subarray(0, len) : Buffer.concat([sig, Buffer.alloc(len - 32)]);
  return Buffer.concat([bytes16(signature), info]);
}

/** "007" + base64 of any bytes. */
export function token007FromBody(body: Buffer): string {
  return `007${body.toString("base64")}`;
}

/** A 007 token: zlib (default level) over the crafted payload. */
export function craft007(o: Craft007 = {}): string {
  return token007FromBody(deflateSync(payload007(o)));
}

// ---------------------------------------------------------------------------------------------
// 006
// ---------------------------------------------------------------------------------------------

export interface Craft006 {
  /** The clear-text App ID written at characters 3..34. */
  appId?: string;
  certificate?: string;
  /** Channel slot (the RTM account) and uid slot (empty for RTM). */
  channel?: string;
  uid?: string;
  salt?: number;
  ts?: number;
  privileges?: ReadonlyArray<readonly [number, number]>;
  /** Bytes appended inside m (MACed). */
  mExtra?: Buffer;
  /** Replaces m entirely (MACed as given). */
  rawM?: Buffer;
  /** Bytes appended after m, inside content. */
  contentExtra?: Buffer;
  signatureLength?: number;
  badSignature?: boolean;
}

export function m006(o: Craft006 = {}): Buffer {
  if (o.rawM) return o.rawM;
  return Buffer.concat([
    u32(o.salt ?? 12_345_678),
    u32(o.ts ?? ISSUE_TS + 86_400),
    map16_32(o.privileges ?? [[1000, ISSUE_TS + 3600]]),
    o.mExtra ?? Buffer.alloc(0),
  ]);
}

/** The 006 content bytes (before base64). */
export function content006(o: Craft006 = {}): Buffer {
  const appId = o.appId ?? APP_ID;
  const channel = o.channel ?? "alice";
  const uid = o.uid ?? "";
  const m = m006(o);
  let sig = createHmac("sha256", o.certificate ?? CERT)
    .update(Buffer.concat([Buffer.from(appId, "utf8"), Buffer.from(channel, "utf8"), Buffer.from(uid, "utf8"), m]))
    .digest();
  if (o.badSignature) sig = Buffer.concat([Buffer.from([sig[0]! ^ 0xff]), sig.subarray(1)]);
  const len = o.signatureLength ?? 32;
  const signature = len <= 32 ? sig.subarray(0, len) : Buffer.concat([sig, Buffer.alloc(len - 32)]);
  return Buffer.concat([bytes16(signature), u32(crc32(channel)), u32(crc32(uid)), bytes16(m), o.contentExtra ?? Buffer.alloc(0)]);
}

export function craft006(o: Craft006 = {}): string {
  return `006${o.appId ?? APP_ID}${content006(o).toString("base64")}`;
}
