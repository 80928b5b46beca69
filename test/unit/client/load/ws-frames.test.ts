import { expect, it } from "vitest";
import { readUpgradeResponse, WS_ACCEPT } from "../../../../client/load/ws-frames.js";

const head = (lines: string[]) => Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
const OK = head(["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${WS_ACCEPT}`]);

it.each([
  ["a head not yet complete", Buffer.from("HTTP/1.1 101 Switching", "latin1"), { kind: "incomplete" }],
  ["a refusal, with its status line", head(["HTTP/1.1 503 Service Unavailable", "Content-Length: 0"]), { kind: "refused", statusLine: "HTTP/1.1 503 Service Unavailable" }],
  ["101 without the accept value", head(["HTTP/1.1 101 Switching Protocols", "Sec-WebSocket-Accept: nope"]), { kind: "bad_accept" }],
  ["101 with it: the frames start after the head", Buffer.concat([OK, Buffer.from([0x81, 0x00])]), { kind: "open", bodyAt: OK.length }],
] as const)("%s", (_name, input, expected) => {
  expect(readUpgradeResponse(input)).toEqual(expected);
});

it("an accept value that appears only after the head does not count", () => {
  const b = Buffer.concat([head(["HTTP/1.1 101 Switching Protocols"]), Buffer.from(WS_ACCEPT, "latin1")]);
  expect(readUpgradeResponse(b)).toEqual({ kind: "bad_accept" });
});
