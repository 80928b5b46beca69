import type { ByteReader } from "../codec/byte-reader.js";
import type { Service007 } from "../parsed-token.js";
import type { Rtm2Grant, Rtm2Permission } from "../rtm2-permissions.js";

/** Service type numbers of AccessToken2 (docs/token-services.md, "The service types"). */
export const SERVICE_TYPE = {
  rtc: 1,
  rtm: 2,
  streaming: 3,
  fpa: 4,
  chat: 5,
  fcdn: 6,
  apaas: 7,
  rtm2: 8,
  convoai: 9,
  stt: 10,
} as const;

/** The RTM (type 2) login privilege id. */
export const RTM_PRIVILEGE_LOGIN = 1;

/** The RTM2 (type 8) login privilege id (`ServiceRtm2.kPrivilegeLogin`): the same number as type 2's. */
export const RTM2_PRIVILEGE_LOGIN = 1;

type FieldReader = (r: ByteReader) => Service007["fields"];

const none: FieldReader = () => ({});
const channelAndAccount =
  (a: string, b: string): FieldReader =>
  (r) => ({ [a]: r.bytes16(), [b]: r.bytes16() });
const userId: FieldReader = (r) => ({ userId: r.bytes16() });

/**
 * RTM2 (type 8), as `ServiceRtm2.pack` in agora-token 2.0.6 writes it: `bytes16 userId`, then
 * `u16` resource-type count × { `u16 resourceType`, `u16` permission count × { `u16 permType`,
 * `u16` resource count × `bytes16 resource` } }. Kept in token order, duplicates included.
 */
function rtm2Fields(r: ByteReader): Service007["fields"] {
  const id = r.bytes16();
  const permissions: Rtm2Grant[] = [];
  const nTypes = r.u16();
  // Each step reads at least 2 bytes, so a hostile count ends at the buffer's end (at most
  // maxInflatedBytes / 2 entries in all).
  for (let i = 0; i < nTypes && !r.overrun; i++) {
    const resourceType = r.u16();
    const nPerms = r.u16();
    const perms: Rtm2Permission[] = [];
    for (let j = 0; j < nPerms && !r.overrun; j++) {
      const permType = r.u16();
      const nRes = r.u16();
      const resources: string[] = [];
      for (let k = 0; k < nRes && !r.overrun; k++) resources.push(r.bytes16().toString("utf8"));
      perms.push({ permType, resources });
    }
    permissions.push({ resourceType, permissions: perms });
  }
  return { userId: id, permissions };
}

/** How to read the type-specific fields of each known service type. */
const SERVICES: ReadonlyMap<number, { name: string; fields: FieldReader }> = new Map([
  [SERVICE_TYPE.rtc, { name: "rtc", fields: channelAndAccount("channelName", "uid") }],
  [SERVICE_TYPE.rtm, { name: "rtm", fields: userId }],
  [SERVICE_TYPE.streaming, { name: "streaming", fields: channelAndAccount("channelName", "account") }],
  [SERVICE_TYPE.fpa, { name: "fpa", fields: none }],
  [SERVICE_TYPE.chat, { name: "chat", fields: userId }],
  [SERVICE_TYPE.fcdn, { name: "fcdn", fields: channelAndAccount("channelName", "account") }],
  [SERVICE_TYPE.apaas, { name: "apaas", fields: (r) => ({ roomUuid: r.bytes16(), userUuid: r.bytes16(), role: r.i16() }) }],
  [SERVICE_TYPE.rtm2, { name: "rtm2", fields: rtm2Fields }],
  [SERVICE_TYPE.convoai, { name: "convoai", fields: none }],
  [SERVICE_TYPE.stt, { name: "stt", fields: none }],
]);

/**
 * Reads one service whose type is known, or returns null for an unknown type (the walk stops
 * there, as the official parsers do). Overruns are reported through `r.overrun`.
 */
export function readService(r: ByteReader, type: number): Service007 | null {
  const known = SERVICES.get(type);
  if (!known) return null;
  const privileges = r.map16_32();
  const fields = known.fields(r);
  return { type, name: known.name, privileges, fields };
}

/** The name of a service type, or `unknown`. */
export function serviceName(type: number): string {
  return SERVICES.get(type)?.name ?? "unknown";
}
