/**
 * The values of `rtm-auth token build --service JSON` and `--privilege ID=T`
 * (docs/token-services.md, "Building any token"). A service is one JSON object in the shape
 * `rtm-auth token inspect --json` prints a service, or the shape of the official vectors:
 *
 *     {"type": 1, "privileges": {"1": 600}, "channelName": "room", "uid": "42"}
 *     {"name": "rtm2", "privileges": [{"id": 1, "value": 600}], "userId": "alice",
 *      "permissions": "message:read=chan1"}
 *
 * Type by number or name (both must agree when both are given); privileges as an object of id →
 * value, `[id, value]` pairs or `{id, value}` objects (the `name` and `expiresAt` that inspect
 * adds are ignored); every field of the type required, no other key accepted. RTM2 permissions
 * as the notation or as inspect's list (its `resourceName` and `permissionName` are ignored);
 * inspect's `permissionSpec` is used when `permissions` is absent, and must say the same when
 * both are given. Every problem is a TokenUsageError naming it.
 */
import type { Rtm2Grant, ServiceSpec } from "../../core/token/index.js";
import { TokenUsageError } from "./token-args.js";

/** Service names and the fields each type carries after its privileges (docs/token-services.md, "The service types"). */
const TYPES: ReadonlyArray<{ readonly type: number; readonly name: string; readonly strings: readonly string[] }> = [
  { type: 1, name: "rtc", strings: ["channelName", "uid"] },
  { type: 2, name: "rtm", strings: ["userId"] },
  { type: 3, name: "streaming", strings: ["channelName", "account"] },
  { type: 4, name: "fpa", strings: [] },
  { type: 5, name: "chat", strings: ["userId"] },
  { type: 6, name: "fcdn", strings: ["channelName", "account"] },
  { type: 7, name: "apaas", strings: ["roomUuid", "userUuid"] },
  { type: 8, name: "rtm2", strings: ["userId"] },
  { type: 9, name: "convoai", strings: [] },
  { type: 10, name: "stt", strings: [] },
];

/** The 006 privilege names `--privilege` takes besides numbers (docs/tokens.md, "The 006 format"). */
const PRIVILEGE_006_NAMES: Readonly<Record<string, number>> = {
  joinChannel: 1,
  publishAudioStream: 2,
  publishVideoStream: 3,
  publishDataStream: 4,
  rtmLogin: 1000,
};

function fail(message: string): never {
  throw new TokenUsageError(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function integerIn(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) fail(`${what} must be an integer in ${min}..${max}`);
  return v;
}

function privileges(v: unknown, where: string): Array<readonly [number, number]> {
  if (v === undefined) return [];
  const pair = (k: unknown, value: unknown): readonly [number, number] => [
    integerIn(typeof k === "string" && /^[0-9]+$/.test(k) ? Number(k) : k, 0, 0xffff, `${where}: a privilege id`),
    integerIn(value, 0, 0xffffffff, `${where}: a privilege value`),
  ];
  if (isObject(v)) return Object.entries(v).map(([k, value]) => pair(k, value));
  if (!Array.isArray(v)) fail(`${where}: "privileges" must be an object of id → value or a list`);
  return v.map((e: unknown) => {
    if (Array.isArray(e) && e.length === 2) return pair(e[0], e[1]);
    if (isObject(e) && "id" in e && "value" in e) return pair(e["id"], e["value"]);
    return fail(`${where}: a privilege must be [id, value] or {"id", "value"}`);
  });
}

function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) fail(`${what} must be a list of strings`);
  return v as string[];
}

/** RTM2 permissions: the notation (parsed by `parseNotation`) or inspect's structured list. */
function permissions(v: unknown, where: string, parseNotation: (s: string) => Rtm2Grant[]): Rtm2Grant[] {
  if (typeof v === "string") return parseNotation(v);
  if (!Array.isArray(v)) fail(`${where}: "permissions" must be the notation (a string) or a list of {resourceType, permissions}`);
  return v.map((g: unknown) => {
    if (!isObject(g) || !Array.isArray(g["permissions"])) fail(`${where}: each RTM2 grant must be {"resourceType", "permissions": [...]}`);
    return {
      resourceType: integerIn(g["resourceType"], 0, 0xffff, `${where}: an RTM2 resource type`),
      permissions: (g["permissions"] as unknown[]).map((p: unknown) => {
        if (!isObject(p)) fail(`${where}: each RTM2 permission must be {"permType", "resources": [...]}`);
        return {
          permType: integerIn(p["permType"], 0, 0xffff, `${where}: an RTM2 permission type`),
          resources: stringList(p["resources"], `${where}: "resources"`),
        };
      }),
    };
  });
}

/** The grants of an RTM2 `--service`: `permissions`, else inspect's `permissionSpec`; both must agree. */
function rtm2Permissions(v: Record<string, unknown>, where: string, parseNotation: (s: string) => Rtm2Grant[]): Rtm2Grant[] {
  const spec = v["permissionSpec"];
  if (spec !== undefined && spec !== null && typeof spec !== "string") fail(`${where}: "permissionSpec" must be the notation (a string) or null`);
  const fromSpec = typeof spec === "string" ? parseNotation(spec) : undefined;
  if (v["permissions"] === undefined) {
    if (fromSpec === undefined) fail(`${where}: type 8 (rtm2) needs "permissions": the notation ("" for none) or a list`);
    return fromSpec;
  }
  const grants = permissions(v["permissions"], where, parseNotation);
  if (fromSpec !== undefined && JSON.stringify(fromSpec) !== JSON.stringify(grants)) {
    fail(`${where}: "permissions" and "permissionSpec" say different things; give one of them`);
  }
  return grants;
}

/**
 * One `--service` value as a builder input. `index` (from 1) names the option in messages;
 * `parseNotation` reads the RTM2 permissions notation (throwing TokenUsageError).
 */
export function parseServiceArg(text: string, index: number, parseNotation: (s: string) => Rtm2Grant[]): ServiceSpec {
  const where = `--service #${index}`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    fail(`${where} is not JSON (give one object, e.g. '{"type":1,"privileges":{"1":600},"channelName":"room","uid":"42"}')`);
  }
  if (!isObject(v)) fail(`${where} must be one JSON object`);
  const byType = v["type"] === undefined ? undefined : TYPES.find((t) => t.type === v["type"]);
  const byName = v["name"] === undefined ? undefined : TYPES.find((t) => t.name === v["name"]);
  if (v["type"] !== undefined && byType === undefined) fail(`${where}: unknown service type ${JSON.stringify(v["type"])} (1..10)`);
  if (v["name"] !== undefined && byName === undefined) fail(`${where}: unknown service name ${JSON.stringify(v["name"])} (${TYPES.map((t) => t.name).join(", ")})`);
  if (byType !== undefined && byName !== undefined && byType !== byName) fail(`${where}: type ${byType.type} is "${byType.name}", not "${byName.name}"`);
  const def = byType ?? byName;
  if (def === undefined) fail(`${where} needs "type" (1..10) or "name"`);

  const allowed = new Set(["type", "name", "privileges", ...def.strings, ...(def.type === 7 ? ["role"] : []), ...(def.type === 8 ? ["permissions", "permissionSpec"] : [])]);
  const what = `type ${def.type} (${def.name})`;
  for (const k of Object.keys(v)) if (!allowed.has(k)) fail(`${where}: "${k}" is not a field of ${what}; its fields: ${[...allowed].join(", ")}`);
  const fields: Record<string, string> = {};
  for (const k of def.strings) {
    const s = v[k];
    if (typeof s !== "string") fail(`${where}: ${what} needs "${k}", a string`);
    fields[k] = s;
  }
  const spec: Record<string, unknown> = { type: def.type, privileges: privileges(v["privileges"], where), ...fields };
  if (def.type === 7) spec["role"] = integerIn(v["role"], -32768, 32767, `${where}: "role"`);
  if (def.type === 8) spec["permissions"] = rtm2Permissions(v, where, parseNotation);
  return spec as unknown as ServiceSpec;
}

/** One 006 `--privilege ID=T`: a privilege id (number or 006 name) and its absolute expiry (0 = no limit). */
export function parsePrivilegeArg(text: string): readonly [number, number] {
  const m = /^([A-Za-z]+|[0-9]+)=([0-9]+)$/.exec(text);
  if (m === null) fail(`--privilege must be ID=UNIX_SECONDS (ID a number or ${Object.keys(PRIVILEGE_006_NAMES).join(", ")}), got '${text}'`);
  const [, idText, valueText] = m as unknown as [string, string, string];
  const id = /^[0-9]+$/.test(idText) ? Number(idText) : PRIVILEGE_006_NAMES[idText];
  if (id === undefined) fail(`--privilege: unknown privilege '${idText}' (a number 0..65535 or ${Object.keys(PRIVILEGE_006_NAMES).join(", ")})`);
  if (id > 0xffff) fail(`--privilege: the id must be in 0..65535, got ${idText}`);
  const value = Number(valueText);
  if (!Number.isSafeInteger(value) || value > 0xffffffff) fail(`--privilege: the time must be in 0..4294967295, got ${valueText}`);
  return [id, value];
}
