import { expect, it } from "vitest";
import { Connection } from "../../../../gateway/sessions/connection.js";
import type { HeldFrame } from "../../../../gateway/sessions/faults.js";

const transport = { remoteAddress: "127.0.0.1", send: () => undefined, close: () => undefined };
const login: HeldFrame = { kind: "login", id: 1, appId: "a", uid: "u", token: null, profile: "rtm2" };

it("a held login is kept in the rare state: none at first, the frame once held, none once cleared", () => {
  const c = new Connection(transport, 2);
  expect(c.pendingLogin).toBeNull();
  c.pendingLogin = null; // clearing when nothing is held
  expect(c.pendingLogin).toBeNull();
  c.pendingLogin = login;
  expect(c.pendingLogin).toBe(login);
  c.pendingLogin = null;
  expect(c.pendingLogin).toBeNull();
});

it("holding a login keeps the call windows and the ping budget that share the rare state", () => {
  const c = new Connection(transport, 1);
  expect(c.hit("logout", 0)).toBe(true);
  expect(c.spendPing(0, 1)).toBe(0);
  c.pendingLogin = login;
  c.pendingLogin = null;
  expect(c.hit("logout", 500)).toBe(false); // the same window: a second call within 1000 ms
  expect(c.spendPing(0, 1)).toBe(1000); // the same bucket: empty
});
