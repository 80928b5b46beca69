const HEX32 = /^[0-9a-fA-F]{32}$/;

/**
 * Argument checks shared by the builders. Misuse is a TypeError/RangeError (the official
 * builders return "" instead; an empty token helps nobody).
 */
export function checkHex32(name: string, value: string): void {
  if (typeof value !== "string" || !HEX32.test(value)) throw new TypeError(`${name} must be 32 hexadecimal characters`);
}

/** Throws unless `value` is an integer in 0..2^32-1. */
export function checkU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${name} must be an integer in 0..4294967295`);
}
