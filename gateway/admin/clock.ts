/**
 * The simulated clock that drives token checks and expiry events (docs/architecture.md, "Time"):
 * `GET /admin/clock`, `PUT /admin/clock {now?, frozen?}`, `POST /admin/clock/advance {seconds}`.
 * Every jump fires the session timers that became due, and judges the staged rollouts
 * (docs/rollouts.md: stage times, guards), before the reply is sent.
 */
import type { Router } from "express";
import { z } from "zod";
import type { SimulatedClock } from "../clock/simulated-clock.js";
import type { AdminDeps } from "./admin-deps.js";

/** Unix seconds up to the end of the u32 range (the token fields' range). */
const UNIX_SECONDS_MAX = 0xffff_ffff;

const SetClock = z
  .object({
    now: z.number().min(0).max(UNIX_SECONDS_MAX).optional(),
    frozen: z.boolean().optional(),
  })
  .strict();

const Advance = z
  .object({
    /** May be negative or fractional. */
    seconds: z.number().min(-UNIX_SECONDS_MAX).max(UNIX_SECONDS_MAX),
  })
  .strict();

function clockView(clock: SimulatedClock): { now: number; frozen: boolean } {
  return { now: clock.nowSeconds(), frozen: clock.frozen };
}

export function clockRoutes(router: Router, deps: AdminDeps): void {
  const { clock } = deps;

  router.get("/clock", (_req, res) => {
    res.json(clockView(clock));
  });

  router.put("/clock", async (req, res) => {
    const body = SetClock.parse(req.body ?? {});
    // Freeze (or thaw) first, then set: `{now, frozen: true}` stops exactly at `now`.
    if (body.frozen !== undefined) clock.freeze(body.frozen);
    if (body.now !== undefined) clock.set(body.now);
    await deps.rollouts?.tick();
    res.json(clockView(clock));
  });

  router.post("/clock/advance", async (req, res) => {
    const body = Advance.parse(req.body);
    clock.advance(body.seconds);
    await deps.rollouts?.tick();
    res.json(clockView(clock));
  });
}
