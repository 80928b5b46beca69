/**
 * RTM2 (007 service type 8) resource permissions: Agora's resource and permission type numbers,
 * their names, and the one-line notation that `rtm-auth token build --permissions` reads and
 * `token inspect` prints (docs/token-services.md, "The permissions notation").
 *
 * The notation, as a grammar (`;` separates groups, `,` separates items):
 *
 *     permissions = group *( ";" group )
 *     group       = resource ":" permission *( "," permission ) "=" [ name *( "," name ) ]
 *     resource    = "message" | "stream" | "group" | "server-group" | "user" | 0..65535
 *     permission  = "read" | "write" | 0..65535
 *
 * e.g. `message:read,write=chan1,chan2;user:read=*`. In a name, `\` makes the next character
 * literal (write `\,` `\;` `\\`); names are never empty and are kept exactly, spaces included.
 * `*` is an ordinary name: the token carries it, what Agora's service makes of it is Agora's.
 */

/** Agora's RTM2 resource types (`Rtm2Permissions.kMessageChannels` … `kUsers`). */
export const RTM2_RESOURCE_TYPE = {
  messageChannels: 0,
  streamChannels: 1,
  groupChannels: 2,
  serverGroups: 3,
  users: 4,
} as const;

/** Agora's RTM2 permission types (`Rtm2Permissions.kRead`, `kWrite`). */
export const RTM2_PERMISSION_TYPE = { read: 0, write: 1 } as const;

/** One permission type of a resource type, with the resources it covers, in token order. */
export interface Rtm2Permission {
  readonly permType: number;
  readonly resources: readonly string[];
}

/** One RTM2 resource grant: a resource type and its permissions, in token order. */
export interface Rtm2Grant {
  readonly resourceType: number;
  readonly permissions: readonly Rtm2Permission[];
}

/** The error of a permissions notation that cannot be read; the message names the problem. */
export class Rtm2PermissionsSyntaxError extends Error {
  override get name(): string {
    return "Rtm2PermissionsSyntaxError";
  }
}

/** Notation keyword ↔ resource type. */
const RESOURCE_WORDS: ReadonlyArray<readonly [string, number]> = [
  ["message", RTM2_RESOURCE_TYPE.messageChannels],
  ["stream", RTM2_RESOURCE_TYPE.streamChannels],
  ["group", RTM2_RESOURCE_TYPE.groupChannels],
  ["server-group", RTM2_RESOURCE_TYPE.serverGroups],
  ["user", RTM2_RESOURCE_TYPE.users],
];
const PERMISSION_WORDS: ReadonlyArray<readonly [string, number]> = [
  ["read", RTM2_PERMISSION_TYPE.read],
  ["write", RTM2_PERMISSION_TYPE.write],
];

/** Agora's name of a resource type (`messageChannels` …), or null for a number it does not define. */
export function rtm2ResourceName(type: number): string | null {
  for (const [name, value] of Object.entries(RTM2_RESOURCE_TYPE)) if (value === type) return name;
  return null;
}

/** Agora's name of a permission type (`read`, `write`), or null for a number it does not define. */
export function rtm2PermissionName(type: number): string | null {
  for (const [name, value] of Object.entries(RTM2_PERMISSION_TYPE)) if (value === type) return name;
  return null;
}

function wordOrNumber(text: string, words: ReadonlyArray<readonly [string, number]>, what: string): number {
  for (const [word, value] of words) if (word === text) return value;
  if (/^[0-9]{1,5}$/.test(text) && Number(text) <= 0xffff) return Number(text);
  const known = words.map(([w]) => w).join(", ");
  throw new Rtm2PermissionsSyntaxError(`unknown ${what} '${text}' (expected ${known}, or a number 0..65535)`);
}

function keyword(value: number, words: ReadonlyArray<readonly [string, number]>): string {
  for (const [word, v] of words) if (v === value) return word;
  return String(value);
}

/** Splits `text` at unescaped `sep`, keeping escapes (they are removed by {@link unescapeName}). */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unescapeName(raw: string): string {
  // An odd number of trailing backslashes leaves the last one escaping nothing.
  let n = 0;
  for (let i = raw.length - 1; i >= 0 && raw[i] === "\\"; i--) n++;
  if (n % 2 === 1) throw new Rtm2PermissionsSyntaxError(`a name ends with a lone '\\' ('${raw}')`);
  return raw.replace(/\\(.)/gsu, "$1");
}

function escapeName(name: string): string {
  return name.replace(/[\\,;]/g, (c) => `\\${c}`);
}

/**
 * Reads the permissions notation into grants, sorted by resource type and then permission type
 * (as Agora's `ServiceRtm2.pack` writes them); names keep the order written.
 *
 * The empty notation is no grant at all (a type-8 service that carries only its login privilege).
 *
 * @throws Rtm2PermissionsSyntaxError for an empty group, a missing `:` or `=`, an
 *   unknown keyword, a number over 65535, an empty name, a lone trailing `\`, or the same
 *   resource and permission given twice.
 */
export function parseRtm2Permissions(notation: string): Rtm2Grant[] {
  if (notation === "") return [];
  const byResource = new Map<number, Map<number, string[]>>();
  for (const group of splitUnescaped(notation, ";")) {
    if (group === "") throw new Rtm2PermissionsSyntaxError("an empty group (two ';' in a row, or one at an end)");
    const colon = group.indexOf(":");
    const equals = group.indexOf("=");
    if (colon < 0 || equals < 0 || equals < colon) {
      throw new Rtm2PermissionsSyntaxError(`group '${group}' is not RESOURCE:PERMISSION[,PERMISSION…]=[NAME[,NAME…]]`);
    }
    const resourceType = wordOrNumber(group.slice(0, colon), RESOURCE_WORDS, "resource type");
    const permTexts = group.slice(colon + 1, equals).split(",");
    const namesText = group.slice(equals + 1);
    const names = namesText === "" ? [] : splitUnescaped(namesText, ",").map(unescapeName);
    if (names.some((n) => n === "")) throw new Rtm2PermissionsSyntaxError(`group '${group}' has an empty name`);
    const perms = byResource.get(resourceType) ?? new Map<number, string[]>();
    byResource.set(resourceType, perms);
    for (const permText of permTexts) {
      const permType = wordOrNumber(permText, PERMISSION_WORDS, "permission");
      if (perms.has(permType)) {
        const r = keyword(resourceType, RESOURCE_WORDS);
        throw new Rtm2PermissionsSyntaxError(`${r}:${keyword(permType, PERMISSION_WORDS)} is given twice`);
      }
      perms.set(permType, names);
    }
  }
  return [...byResource.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([resourceType, perms]) => ({
      resourceType,
      permissions: [...perms.entries()].sort((a, b) => a[0] - b[0]).map(([permType, resources]) => ({ permType, resources })),
    }));
}

/**
 * The notation of `grants`, or null when the notation cannot say exactly what the token holds
 * (grants out of Agora's sort order, a resource or permission type given twice, an empty name,
 * or a resource type without permissions). No grants at all is the empty notation. Otherwise `parseRtm2Permissions(result)` gives `grants`
 * back, always. Consecutive permissions of one resource type with the same names are merged
 * (`message:read,write=a`).
 */
export function formatRtm2Permissions(grants: readonly Rtm2Grant[]): string | null {
  const groups: string[] = [];
  let lastResource = -1;
  for (const g of grants) {
    if (g.resourceType <= lastResource || g.permissions.length === 0) return null;
    lastResource = g.resourceType;
    let lastPerm = -1;
    let pending: { perms: string[]; names: readonly string[] } | null = null;
    const flush = (): void => {
      if (pending === null) return;
      const names = pending.names.map(escapeName).join(",");
      groups.push(`${keyword(g.resourceType, RESOURCE_WORDS)}:${pending.perms.join(",")}=${names}`);
    };
    for (const p of g.permissions) {
      if (p.permType <= lastPerm || p.resources.some((n) => n === "")) return null;
      lastPerm = p.permType;
      const word = keyword(p.permType, PERMISSION_WORDS);
      const sameNames = pending !== null && pending.names.length === p.resources.length && pending.names.every((n, i) => n === p.resources[i]);
      if (pending !== null && sameNames) pending.perms.push(word);
      else {
        flush();
        pending = { perms: [word], names: p.resources };
      }
    }
    flush();
  }
  return groups.join(";");
}
