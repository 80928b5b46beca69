import { Counter, Histogram, Registry } from "prom-client";
import { expect, it } from "vitest";
import { PendingCounter, SingleLabelHistogram } from "../../../../gateway/infra/fast-metrics.js";

it("SingleLabelHistogram exposes exactly what a prom-client Histogram would for the same observations", async () => {
  const values = [0, 0.00005, 0.00006, 0.0003, 0.001, 0.2, 0.05, 0.05];
  const buckets = [0.00005, 0.0001, 0.001, 0.05, 0.1];
  const ours = new Registry();
  const theirs = new Registry();
  const h = new SingleLabelHistogram({ name: "h_seconds", help: "h", labelName: "op", buckets, registers: [ours] });
  const p = new Histogram({ name: "h_seconds", help: "h", labelNames: ["op"], buckets, registers: [theirs] });
  for (const v of values) {
    h.observe("login", v);
    p.observe({ op: "login" }, v);
  }
  h.observe("renewToken", 0.002);
  p.observe({ op: "renewToken" }, 0.002);
  const lines = async (r: Registry) => (await r.metrics()).split("\n").filter((l) => l.startsWith("h_seconds")).sort();
  expect(await lines(ours)).toEqual(await lines(theirs));
  h.reset();
  expect(await lines(ours)).toEqual([]);
});

it("PendingCounter builds the labels once per key and reaches prom-client at scrape time", async () => {
  const registry = new Registry();
  let made = 0;
  const counter: Counter<"op"> = new Counter({
    name: "c_total",
    help: "c",
    labelNames: ["op"],
    registers: [registry],
    collect() {
      pending.flush();
    },
  });
  const pending = new PendingCounter<{ op: string }>(counter);
  for (let i = 0; i < 5; i++) pending.inc("login", () => (made++, { op: "login" }));
  pending.inc("logout", () => (made++, { op: "logout" }));
  expect(made).toBe(2);
  const text = await registry.metrics();
  expect(text).toContain('c_total{op="login"} 5');
  expect(text).toContain('c_total{op="logout"} 1');
  pending.inc("login", () => ({ op: "login" }));
  expect(await registry.metrics()).toContain('c_total{op="login"} 6');
});
