import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { Connection } from "../../../../gateway/sessions/connection.js";
import { DeadlineQueue } from "../../../../gateway/sessions/deadline-queue.js";

const transport = { remoteAddress: "127.0.0.1", send: () => undefined, close: () => undefined };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

it("fires once per connection still awaiting login, in order, with one timer", () => {
  const due: number[] = [];
  const conns = [0, 1, 2, 3].map(() => new Connection(transport, 2));
  const q = new DeadlineQueue(1000, (c) => due.push(conns.indexOf(c)));
  q.add(conns[0] as Connection);
  vi.advanceTimersByTime(400);
  q.add(conns[1] as Connection);
  q.add(conns[2] as Connection);
  q.add(conns[3] as Connection);
  (conns[1] as Connection).phase = "logged_in"; // logged in in time
  (conns[2] as Connection).phase = "closed";
  expect(vi.getTimerCount()).toBe(1);
  vi.advanceTimersByTime(999);
  expect(due).toEqual([0]);
  vi.advanceTimersByTime(401);
  expect(due).toEqual([0, 3]);
  expect(vi.getTimerCount()).toBe(0);
});

it("a connection queued again (after logout) gets the new deadline, not the old one", () => {
  const due: string[] = [];
  const c = new Connection(transport, 2);
  const q = new DeadlineQueue(1000, () => due.push(`due at ${performance.now()}`));
  q.add(c);
  vi.advanceTimersByTime(600);
  q.add(c); // logged in, then out: the deadline restarts
  vi.advanceTimersByTime(400);
  expect(due).toEqual([]);
  vi.advanceTimersByTime(600);
  expect(due).toHaveLength(1);
});

it("clear() stops everything", () => {
  const due: Connection[] = [];
  const q = new DeadlineQueue(1000, (c) => due.push(c));
  q.add(new Connection(transport, 2));
  q.clear();
  vi.advanceTimersByTime(5000);
  expect(due).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
});
