import { hash } from "node:crypto";
import type { ParsedToken } from "./parsed-token.js";

/**
 * Domain separation of the digest, so a token identity can never equal a digest of the same bytes
 * made for another purpose, and a later scheme (`v2`) can never collide with this one.
 */
const DOMAIN = Buffer.from("rtm-auth-gateway token identity v1\0", "latin1");
const V006 = Buffer.from("006", "latin1");
const V007 = Buffer.from("007", "latin1");

/** Length of a token identity in hexadecimal characters (16 bytes of SHA-256). */
export const TOKEN_IDENTITY_HEX_LENGTH = 32;

/**
 * The identity of a decoded token: 32 lowercase hex characters, the first 16 bytes of SHA-256
 * over the token's signature and exactly the bytes its MAC covers (docs/tokens.md, "Token
 * identity"). Use it, never the token string, as the key of anything keyed on a token (journal,
 * reuse counts, deny lists, replay checks).
 *
 * Why not the string: token strings are malleable without the certificate. In 006 the two CRC-32
 * fields are not covered by the MAC; in 007 the zlib header's level bits, the deflate block layout
 * and the padding bits after the last block change the string but not the inflated payload. Every
 * such variant verifies exactly as the original does, and gets the same identity.
 *
 * What is hashed (fixed-length fields first, so the encoding is unambiguous):
 * - 006: `"006"`, the 32-character App ID as written, the 32-byte signature, the message `m`
 *   (salt, ts, privileges). The account is not in the token; the signature binds it.
 * - 007: `"007"`, the 32-byte signature, the whole inflated `signing_info` (App ID, issueTs,
 *   expire, salt, services and any trailing bytes).
 *
 * Two tokens with the same identity are equal in everything verification reads, so for the same
 * login (App ID, uid, certificates, time) they get the same verdict. The digest reveals nothing
 * usable: the 256-bit signature is in its input, so it cannot be inverted or guessed back into a
 * token. It is a pure function of the parsed token, computed on demand (about a microsecond), and
 * never on the verify path itself.
 */
export function tokenIdentity(t: ParsedToken): string {
  return tokenIdentityBytes(t).toString("hex");
}

/** Bytes of a token identity: its first 16 bytes of SHA-256 (see {@link tokenIdentity}). */
export const TOKEN_IDENTITY_BYTES = TOKEN_IDENTITY_HEX_LENGTH / 2;

/**
 * The token identity as {@link TOKEN_IDENTITY_BYTES} raw bytes (a new Buffer): {@link tokenIdentity}
 * is their lowercase hex.
 */
export function tokenIdentityBytes(t: ParsedToken): Buffer {
  const out = Buffer.allocUnsafe(TOKEN_IDENTITY_BYTES);
  tokenIdentityInto(t, out, 0);
  return out;
}

/**
 * Writes the token identity's {@link TOKEN_IDENTITY_BYTES} bytes into `out` at `offset`, for
 * whoever stores many identities (the decision journal keeps them in one byte array, and makes the
 * hex only when an entry is read). The digest is read as a latin1 string: as a Buffer it would be a
 * native allocation of its own (core/token/codec/constant-time.ts).
 */
export function tokenIdentityInto(t: ParsedToken, out: Uint8Array, offset: number): void {
  // The input is joined into one buffer and hashed in one call: cheaper than a Hash object fed
  // piece by piece (this runs on every login while the journal is on). The buffer is reused by
  // every call (the hash reads it before returning), grown to the largest input seen: the token
  // limits bound it.
  const size =
    DOMAIN.length + (t.version === "006" ? V006.length + Buffer.byteLength(t.appId, "latin1") + t.signature.length + t.message.length : V007.length + t.signature.length + t.signingInfo.length);
  if (size > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(size, scratch.length * 2));
  const input = scratch;
  let o = DOMAIN.copy(input, 0);
  if (t.version === "006") {
    o += V006.copy(input, o);
    o += input.write(t.appId, o, "latin1");
    o += t.signature.copy(input, o);
    o += t.message.copy(input, o);
  } else {
    o += V007.copy(input, o);
    o += t.signature.copy(input, o);
    o += t.signingInfo.copy(input, o);
  }
  const digest = hash("sha256", input.subarray(0, o), "binary");
  for (let i = 0; i < TOKEN_IDENTITY_BYTES; i++) out[offset + i] = digest.charCodeAt(i);
}

/** The input of the last {@link tokenIdentityInto}; overwritten by the next. */
let scratch = Buffer.allocUnsafeSlow(512);
