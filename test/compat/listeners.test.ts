/** The compat clients' listener lists (compat/listeners.ts): EventEmitter order and removal rules, and a throwing listener. */
import { afterEach, expect, it, vi } from "vitest";
import { ListenerRegistry } from "../../compat/listeners.js";

afterEach(() => {
  vi.restoreAllMocks();
});

it("calls listeners in order with every argument; the same listener twice runs twice; remove takes the latest registration", () => {
  const r = new ListenerRegistry();
  const calls: string[] = [];
  const a = (x: string, y: string) => calls.push(`a:${x}:${y}`);
  r.add("e", a);
  r.add("e", (x: string) => calls.push(`b:${x}`), true);
  r.add("e", a);
  r.remove("e", a);
  expect(r.emit("e", "1", "2")).toBe(true);
  expect(r.emit("e", "3", "4")).toBe(true);
  expect(calls).toEqual(["a:1:2", "b:1", "a:3:4"]);
  r.remove("e", a);
  expect(r.count("e")).toBe(0);
  expect(r.emit("e")).toBe(false);
});

it("an emit works through the listeners registered when it started", () => {
  const r = new ListenerRegistry();
  const calls: string[] = [];
  const late = () => calls.push("late");
  r.add("e", () => {
    calls.push("first");
    r.add("e", late);
  });
  r.add("e", () => calls.push("second"));
  r.emit("e");
  expect(calls).toEqual(["first", "second"]);
  r.emit("e");
  expect(calls).toEqual(["first", "second", "first", "second", "late"]);
});

it("a once listener removed before its event never runs; removeAll clears one event or all", () => {
  const r = new ListenerRegistry();
  const once = vi.fn();
  r.add("e", once, true);
  r.remove("e", once);
  r.emit("e");
  expect(once).not.toHaveBeenCalled();
  r.add("e", once);
  r.add("f", once);
  r.removeAll("e");
  expect([r.count("e"), r.count("f")]).toEqual([0, 1]);
  r.removeAll();
  expect(r.count("f")).toBe(0);
});

it("a listener that throws does not stop the others; its error is thrown again from a microtask", () => {
  const r = new ListenerRegistry();
  const later: Array<() => void> = [];
  vi.spyOn(globalThis, "queueMicrotask").mockImplementation((task) => {
    later.push(task);
  });
  const after = vi.fn();
  r.add("e", () => {
    throw new Error("listener bug");
  });
  r.add("e", after);
  r.emit("e", 1);
  vi.restoreAllMocks();
  expect(after).toHaveBeenCalledWith(1);
  expect(later).toHaveLength(1);
  expect(() => later[0]!()).toThrow("listener bug");
});

it("a listener must be a function (TypeError)", () => {
  expect(() => new ListenerRegistry().add("e", "nope" as never)).toThrow(/The "listener" argument must be a function; got string/);
});
