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

it("remove() takes a connection out at once (login, close): the queue holds nothing of it", () => {
  const due: Connection[] = [];
  const q = new DeadlineQueue(1000, (c) => due.push(c));
  const [a, b, c] = [0, 1, 2].map(() => new Connection(transport, 2)) as [Connection, Connection, Connection];
  q.add(a);
  q.add(b);
  q.add(c);
  expect(q.size).toBe(3);
  q.remove(b); // middle
  q.remove(b); // twice is a no-op
  expect(q.size).toBe(2);
  expect(b.deadlinePrev).toBeNull();
  expect(b.deadlineNext).toBeNull();
  q.remove(a); // head
  q.remove(c); // tail
  expect(q.size).toBe(0);
  expect(a.deadlineNext).toBeNull();
  expect(c.deadlinePrev).toBeNull();
  vi.advanceTimersByTime(2000);
  expect(due).toEqual([]);
  // Usable again afterwards, in order.
  q.add(c);
  q.add(a);
  vi.advanceTimersByTime(1000);
  expect(due).toEqual([c, a]);
  expect(q.size).toBe(0);
});

it("many connections added and removed leave it empty (no entry kept for a closed connection)", () => {
  const q = new DeadlineQueue(1000, () => undefined);
  const conns = Array.from({ length: 1000 }, () => new Connection(transport, 2));
  for (const c of conns) q.add(c);
  for (let i = 0; i < conns.length; i += 2) q.remove(conns[i] as Connection);
  for (let i = 1; i < conns.length; i += 2) q.add(conns[i] as Connection); // restart: moves to the tail
  expect(q.size).toBe(500);
  for (let i = conns.length - 1; i >= 0; i--) q.remove(conns[i] as Connection);
  expect(q.size).toBe(0);
  expect(conns.every((c) => c.deadlinePrev === null && c.deadlineNext === null && c.deadlineAt === 0)).toBe(true);
});
