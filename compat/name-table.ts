/**
 * The SDKs' string enums whose every value is its own name (`ConnectionState.CONNECTED ===
 * "CONNECTED"`), as frozen objects built from the list of names.
 */

/** `{ A: "A", B: "B" }` for the names `["A", "B"]`, frozen. */
export function nameTable<const T extends readonly string[]>(names: T): { readonly [K in T[number]]: K } {
  const table: Record<string, string> = {};
  for (const name of names) table[name] = name;
  return Object.freeze(table) as { readonly [K in T[number]]: K };
}
