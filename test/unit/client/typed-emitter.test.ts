/** client/typed-emitter.ts keeps Node's EventEmitter semantics without node:events (it runs in a browser bundle). */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { TypedEmitter } from "../../../client/typed-emitter.js";

interface Events {
  a: number;
  b: string;
}

it("runs listeners in order; the same listener twice runs twice; off removes the latest registration, once ones included", () => {
  const e = new TypedEmitter<Events>();
  const calls: string[] = [];
  const one = (n: number) => calls.push(`one:${n}`);
  const once = (n: number) => calls.push(`once:${n}`);
  e.on("a", one).once("a", once).on("a", one);
  expect(e.listenerCount("a")).toBe(3);
  expect(e.emit("a", 1)).toBe(true);
  expect(calls).toEqual(["one:1", "once:1", "one:1"]);
  e.off("a", one);
  e.emit("a", 2);
  expect(calls.slice(3)).toEqual(["one:2"]);
  e.once("a", once).off("a", once);
  e.emit("a", 3);
  expect(calls.slice(4)).toEqual(["one:3"]);
  expect(e.emit("b", "x")).toBe(false);
});

it("an emit calls the listeners registered when it started; a throwing listener throws out of emit and stops the rest", () => {
  const e = new TypedEmitter<Events>();
  const calls: string[] = [];
  e.on("b", (s) => {
    calls.push(`first:${s}`);
    e.on("b", (t) => calls.push(`added:${t}`));
  });
  e.emit("b", "x");
  expect(calls).toEqual(["first:x"]);
  e.on("a", () => {
    throw new Error("boom");
  });
  const after: number[] = [];
  e.on("a", (n) => after.push(n));
  expect(() => e.emit("a", 1)).toThrow("boom");
  expect(after).toEqual([]);
});

it("imports no node: module", () => {
  const source = readFileSync(new URL("../../../client/typed-emitter.ts", import.meta.url), "utf8");
  expect(source).not.toMatch(/from\s+["']node:/);
});
