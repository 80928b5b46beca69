import type { ParsedToken, Service007 } from "./parsed-token.js";
import { PRIVILEGE_NAMES_006, PRIVILEGE_NAMES_007 } from "./privilege-names.js";
import { formatRtm2Permissions, rtm2PermissionName, rtm2ResourceName, type Rtm2Grant } from "./rtm2-permissions.js";
import { SERVICE_TYPE } from "./v007/services.js";

/** A JSON-safe field value of a decoded token. */
export type Described = string | number | boolean | null | Described[] | { [k: string]: Described };

function text(b: Buffer): Described {
  // UTF-8 text as written; a byte string that is not valid UTF-8 is shown as hex instead.
  const s = b.toString("utf8");
  return Buffer.from(s, "utf8").equals(b) ? s : { hex: b.toString("hex") };
}

function privileges(list: ReadonlyArray<readonly [number, number]>, names: Readonly<Record<number, string>>, base: number | null): Described[] {
  return list.map(([id, value]) => ({
    id,
    name: names[id] ?? "unknown",
    value,
    // 0 means no privilege-level limit; 007 values are relative to issueTs, 006 values absolute.
    expiresAt: value === 0 ? null : base === null ? value : base + value,
  }));
}

/**
 * RTM2 grants in token order, each number with Agora's name beside it (null for a number Agora
 * does not define), then the same grants in the `--permissions` notation (null when the notation
 * cannot say exactly what the token holds; core/token/rtm2-permissions.ts).
 */
function rtm2Permissions(grants: readonly Rtm2Grant[]): Record<string, Described> {
  return {
    permissions: grants.map((g) => ({
      resourceType: g.resourceType,
      resourceName: rtm2ResourceName(g.resourceType),
      permissions: g.permissions.map((p) => ({ permType: p.permType, permissionName: rtm2PermissionName(p.permType), resources: [...p.resources] })),
    })),
    permissionSpec: formatRtm2Permissions(grants),
  };
}

function service(s: Service007, issueTs: number): Described {
  const fields: Record<string, Described> = {};
  for (const [k, v] of Object.entries(s.fields)) {
    if (s.type === SERVICE_TYPE.rtm2 && k === "permissions") Object.assign(fields, rtm2Permissions(v as readonly Rtm2Grant[]));
    else fields[k] = Buffer.isBuffer(v) ? text(v) : typeof v === "number" ? v : (v as unknown as Described);
  }
  return { type: s.type, name: s.name, privileges: privileges(s.privileges, PRIVILEGE_NAMES_007[s.type] ?? {}, issueTs), ...fields };
}

/**
 * Every decoded field of a token, as JSON-safe values. The signature appears only as its length:
 * an unverified MAC means nothing, and showing it invites treating it as if it did.
 */
export function describeToken(t: ParsedToken): Record<string, Described> {
  if (t.version === "006") {
    return {
      version: "006",
      appId: t.appId,
      signatureLength: t.signature.length,
      crcChannel: t.crcChannel,
      crcUid: t.crcUid,
      salt: t.salt,
      ts: t.ts,
      privileges: privileges(t.privileges, PRIVILEGE_NAMES_006, null),
    };
  }
  return {
    version: "007",
    appId: t.appId,
    signatureLength: t.signature.length,
    issueTs: t.issueTs,
    expire: t.expire,
    expiresAt: t.issueTs + t.expire,
    salt: t.salt,
    serviceCount: t.serviceCount,
    services: t.services.map((s) => service(s, t.issueTs)),
    unknownServiceType: t.unknownServiceType,
    trailingBytes: t.trailingBytes,
  };
}
