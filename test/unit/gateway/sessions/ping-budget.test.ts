import { expect, it } from "vitest";
import { Connection } from "../../../../gateway/sessions/connection.js";

const transport = { remoteAddress: "127.0.0.1", send: () => undefined, close: () => undefined };

it("a full bucket of one second's worth: that many pings pass, the next waits for its share of a second", () => {
  const c = new Connection(transport, 2);
  for (let i = 0; i < 10; i++) expect(c.spendPing(1_000, 10)).toBe(0);
  expect(c.spendPing(1_000, 10)).toBe(100); // one ping over a budget of 10/s: 100 ms
  expect(c.spendPing(1_000, 10)).toBe(200);
});

it("refills continuously, never above one second's worth", () => {
  const c = new Connection(transport, 2);
  for (let i = 0; i < 10; i++) c.spendPing(0, 10);
  expect(c.spendPing(500, 10)).toBe(0); // 5 tokens back after 500 ms
  // A long quiet spell refills to the cap only: 10 pass, the 11th waits.
  for (let i = 0; i < 10; i++) expect(c.spendPing(60_000, 10)).toBe(0);
  expect(c.spendPing(60_000, 10)).toBe(100);
});

it("a flood's deficit is paid in full: the wait grows with every ping over the budget", () => {
  const c = new Connection(transport, 2);
  let wait = 0;
  for (let i = 0; i < 1_010; i++) wait = c.spendPing(5_000, 10);
  expect(wait).toBe(100_000); // 1000 pings over a budget of 10/s: 100 s
  expect(c.spendPing(105_000, 10)).toBe(100); // back to zero after those 100 s, then one over
});
