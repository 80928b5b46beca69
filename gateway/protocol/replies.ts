/**
 * The login reply's text, written without `JSON.stringify` of an object (docs/protocol.md,
 * "Replies"): a login is the gateway's hottest reply, and joining its known fields skips building
 * an object and walking it generically. The text is exactly
 * `JSON.stringify({ id, ok: true, op: "login", result })` with `result`'s fields in the order
 * {@link LoginResult} declares them (test/unit/gateway/protocol/replies.test.ts holds it to that
 * on hostile uids and every field's possible values).
 */
import type { LoginResult } from "../../core/protocol/wire.js";

/**
 * `{"id":…,"ok":true,"op":"login","result":{…}}` for request `id` (a positive safe integer, as
 * parseFrame guarantees). Strings are escaped by `JSON.stringify`, so any uid comes out as it would;
 * `expiresAt` and `serverTime` are finite integers (Unix seconds) or, for `expiresAt`, null.
 */
export function loginReplyJson(id: number, r: LoginResult): string {
  return (
    `{"id":${id},"ok":true,"op":"login","result":{"sessionId":${JSON.stringify(r.sessionId)},"appId":${JSON.stringify(r.appId)},` +
    `"uid":${JSON.stringify(r.uid)},"credential":"${r.credential}","tokenVersion":${r.tokenVersion === null ? "null" : `"${r.tokenVersion}"`},` +
    `"expiresAt":${r.expiresAt === null ? "null" : r.expiresAt},"serverTime":${r.serverTime}}}`
  );
}
