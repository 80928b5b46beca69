/**
 * The Clock port. Returns the current time in Unix epoch **seconds** (integers), the unit of
 * every Agora token field. Every expiry comparison reads an injected Clock; nothing in `core/`
 * or `policies/` reads the system time directly.
 *
 * Boundary rule, written once (token-formats.md §4.6): a time `t` has expired when `now > t`;
 * the expiry second itself is still valid.
 */
export interface Clock {
  /** The current time in whole Unix seconds. */
  nowSeconds(): number;
}

/** True when `expiry` has passed at `now` (both Unix seconds): `now > expiry`. */
export function isPast(expiry: number, now: number): boolean {
  return now > expiry;
}
