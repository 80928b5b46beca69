/**
 * Parsing of client frames (docs/protocol.md, "Requests"). A frame that is not a JSON object, has
 * no positive integer `id`, or an unknown `op` (or profile) is a protocol violation (close
 * 4500). Missing or mistyped fields of a known op become an argument error the gateway answers.
 */
import { PROFILES, type Profile } from "../../core/protocol/wire.js";

/** What every client frame must be, told with each protocol violation before the 4500 close. */
export const VIOLATION_RULE =
  "each frame must be one JSON text frame, an object with a positive integer id and an op of login, renewToken, logout or ping (a login's profile rtm1 or rtm2); the gateway closes with 4500";

export type ParsedFrame =
  | { readonly kind: "violation"; readonly detail: string }
  | { readonly kind: "login"; readonly id: number; readonly appId: unknown; readonly uid: unknown; readonly token: unknown; readonly profile: Profile }
  | { readonly kind: "renewToken"; readonly id: number; readonly token: unknown }
  | { readonly kind: "logout"; readonly id: number }
  | { readonly kind: "ping"; readonly id: number };

/** Parses one text frame. Never throws. */
export function parseFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "violation", detail: "frame is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "violation", detail: "frame is not a JSON object" };
  const f = value as Record<string, unknown>;
  const id = f["id"];
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return { kind: "violation", detail: "id is not a positive integer" };
  switch (f["op"]) {
    case "login": {
      const profile = f["profile"] ?? "rtm1";
      if (!(PROFILES as readonly unknown[]).includes(profile)) return { kind: "violation", detail: "unknown profile" };
      return { kind: "login", id, appId: f["appId"], uid: f["uid"], token: f["token"], profile: profile as Profile };
    }
    case "renewToken":
      return { kind: "renewToken", id, token: f["token"] };
    case "logout":
      return { kind: "logout", id };
    case "ping":
      return { kind: "ping", id };
    default:
      return { kind: "violation", detail: "unknown op" };
  }
}
