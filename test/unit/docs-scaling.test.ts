/**
 * docs/scaling.md is what `npm run bench:scale` wrote from its figures (docs/scaling.json): the page
 * rendered again from that JSON is the page, byte for byte, and its checks held (issue 15 item 5).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { renderScalingPage, type ScaleFigures } from "../../bench/scaling-page.js";

const root = join(import.meta.dirname, "..", "..");
const figures = JSON.parse(readFileSync(join(root, "docs", "scaling.json"), "utf8")) as ScaleFigures;

it("docs/scaling.md is the page rendered from docs/scaling.json", () => {
  expect(readFileSync(join(root, "docs", "scaling.md"), "utf8")).toBe(renderScalingPage(figures));
});

it("the figures behind the page: G = 1, 2 and 4 on one Redis and on a cluster, one session per identity each time, messages per gateway not growing with G, 100,000 idle sessions over 6 gateways on a 3-master cluster", () => {
  for (const redis of ["single", "cluster"]) {
    const rows = figures.fanout.filter((r) => r.redis === redis).sort((a, b) => a.gateways - b.gateways);
    expect(rows.map((r) => r.gateways)).toEqual([1, 2, 4]);
    for (const r of rows) expect({ failed: r.failed, identitiesWrong: r.identitiesWrong, replacedOpen: r.replacedOpen }).toEqual({ failed: 0, identitiesWrong: 0, replacedOpen: 0 });
    expect(rows[2]!.receivedPerGatewayPerSecondMean).toBeLessThanOrEqual(rows[1]!.receivedPerGatewayPerSecondMean);
    expect(rows[2]!.receivedPerGatewayPerSecondMean).toBeLessThan(rows[2]!.broadcastPerGatewayPerSecond / 4);
  }
  expect(figures.idle).toMatchObject({ sessions: 100_000, gateways: 6, redisMode: "cluster", masters: 3, opened: 100_000, failed: 0, droppedWhileHeld: 0, complete: true });
});
