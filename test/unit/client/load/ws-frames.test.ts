import { expect, it } from "vitest";
import * as wsModule from "ws";
import { maskedFrame, maskedTextFrame, readUpgradeResponse, WS_ACCEPT } from "../../../../client/load/ws-frames.js";

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

// ws exports its Receiver (ws/wrapper.mjs); @types/ws does not declare it.
const { Receiver } = wsModule as unknown as { Receiver: new (options: object) => NodeJS.EventEmitter & { write(chunk: Buffer): void } };

/** The payload of a masked client frame, unmasked with the key it carries, and that key. */
function unmask(frame: Buffer): { opcode: number; key: string; payload: Buffer } {
  expect(frame[1]! & 0x80).toBe(0x80);
  const len7 = frame[1]! & 0x7f;
  const hdr = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
  const len = len7 < 126 ? len7 : len7 === 126 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
  expect(frame.length).toBe(hdr + 4 + len);
  const key = frame.subarray(hdr, hdr + 4);
  const payload = Buffer.from(frame.subarray(hdr + 4).map((b, i) => b ^ key[i & 3]!));
  return { opcode: frame[0]! & 0x0f, key: key.toString("hex"), payload };
}

it("masked frames carry their payload under the key they name, for 7- and 16-bit lengths; ws's own parser reads them", () => {
  for (const size of [0, 1, 5, 125, 126, 300, 65535]) {
    const text = "é".repeat(Math.floor(size / 2)) + "x".repeat(size % 2);
    const frame = maskedTextFrame(text);
    const got = unmask(frame);
    expect(got.opcode).toBe(0x1);
    expect(got.payload.toString("utf8")).toBe(text);
    const received: string[] = [];
    const receiver = new Receiver({ isServer: true });
    receiver.on("message", (data: Buffer) => received.push(data.toString("utf8")));
    receiver.write(frame);
    expect(received).toEqual([text]);
  }
  expect(unmask(maskedFrame(0x8, Buffer.from([0x03, 0xe8]))).payload).toEqual(Buffer.from([0x03, 0xe8]));
});

it("every frame gets a fresh masking key, also across refills of the key pool (8 KiB: 2,048 keys)", () => {
  const keys = new Set<string>();
  const n = 5_000;
  for (let i = 0; i < n; i++) keys.add(unmask(maskedTextFrame("k")).key);
  // 5,000 random 32-bit keys: a repeat has a probability of about 0.3 %, and all-equal keys would show at once.
  expect(keys.size).toBeGreaterThan(n - 3);
});
