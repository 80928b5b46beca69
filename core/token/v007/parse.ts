import { ByteReader } from "../codec/byte-reader.js";
import { inflateCapped } from "../codec/inflate-capped.js";
import { canonicalBase64Length, decodeCanonicalBase64Into } from "../codec/strict-base64.js";
import type { ParsedToken007, Service007 } from "../parsed-token.js";
import type { ParseResult } from "../parse-result.js";
import { readService } from "./services.js";

const BODY_START = 3;
const SIGNATURE_LENGTH = 32;

/** The decoded body of the token being parsed (see {@link parse007}); the next parse overwrites it, as the inflate buffer (inflate-capped.ts) is. */
let bodyScratch = new Uint8Array(256);

/**
 * Parses a 007 token (docs/tokens.md, "Decoding"): canonical base64, zlib inflation capped at
 * `maxInflatedBytes`, a 32-byte signature, the header fields, then the services walked by type
 * until the first unknown one. A known service that is truncated is malformed; bytes after the
 * last service are tolerated (they are MACed).
 */
export function parse007(token: string, maxInflatedBytes: number): ParseResult<ParsedToken007> {
  // The body (zlib bytes) is needed only until it is inflated: it is decoded into one buffer
  // reused by every parse, grown to the longest body seen (the token length limit bounds it).
  const bodyLength = canonicalBase64Length(token, BODY_START);
  if (bodyLength > bodyScratch.length) bodyScratch = new Uint8Array(bodyLength);
  if (bodyLength < 0 || !decodeCanonicalBase64Into(token, BODY_START, bodyScratch)) return { ok: false, detail: "007 body is not canonical base64" };
  const payload = inflateCapped(bodyScratch, maxInflatedBytes, bodyLength);
  if (payload === null) return { ok: false, detail: "007 body is not a zlib stream within the size cap" };

  const r = new ByteReader(payload);
  const signature = r.bytes16();
  const signingStart = r.offset;
  const appIdBytes = r.bytes16();
  const issueTs = r.u32();
  const expire = r.u32();
  const salt = r.u32();
  const serviceCount = r.u16();
  if (r.overrun) return { ok: false, detail: "007 header is truncated" };
  if (signature.length !== SIGNATURE_LENGTH) return { ok: false, detail: "007 signature is not 32 bytes" };

  const services: Service007[] = [];
  let unknownServiceType: number | null = null;
  // Where the unparsed tail starts: the end of the last parsed service (an unknown type's own
  // two bytes belong to the tail).
  let tailStart = r.offset;
  for (let i = 0; i < serviceCount; i++) {
    const type = r.u16();
    if (r.overrun) return { ok: false, detail: `007 service ${i} is truncated` };
    const service = readService(r, type);
    if (service === null) {
      unknownServiceType = type;
      break;
    }
    if (r.overrun) return { ok: false, detail: `007 service ${i} (type ${type}) is truncated` };
    services.push(service);
    tailStart = r.offset;
  }

  return {
    ok: true,
    token: {
      version: "007",
      appId: appIdBytes.toString("latin1"),
      issueTs,
      expire,
      salt,
      serviceCount,
      services,
      unknownServiceType,
      trailingBytes: payload.length - tailStart,
      signature,
      signingInfo: payload.subarray(signingStart),
    },
  };
}
