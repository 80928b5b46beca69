import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import type { SimulatedClock } from "../clock/simulated-clock.js";
import type { GatewayConfig } from "../config.js";
import type { ReadinessTracker } from "../migration/readiness.js";
import type { RolloutController } from "../migration/rollout-controller.js";
import type { Logger } from "../logger.js";
import type { DecisionJournal } from "../sessions/journal.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { DecisionCount } from "./decision-counts.js";

/**
 * What the admin routes work on; everything is injected by the composition root.
 * `randomHex` is the CSPRNG used for App IDs and certificates (injected so tests can pin it).
 */
export interface AdminDeps {
  readonly config: GatewayConfig;
  readonly store: CertificateStore;
  readonly clock: SimulatedClock;
  readonly sessions: SessionManager;
  readonly logger: Logger;
  /** The decision journal, or null when switched off (`journalSize: 0`). */
  readonly journal?: DecisionJournal | null;
  /** Migration readiness per project (`GET /admin/projects/:appId/readiness`, the dry-runs); absent = none kept. */
  readonly readiness?: ReadinessTracker;
  /** The staged rollouts (`/admin/projects/:appId/rollout`; docs/rollouts.md); absent = the routes answer 409 `rollouts_disabled`. */
  readonly rollouts?: RolloutController;
  /**
   * The cumulative decision counts by op, result and reason (`GET /admin/decision-counts`, the
   * console's live chart; gateway/admin/decision-counts.ts); absent = that route answers 409.
   */
  readonly decisionCounts?: () => Promise<readonly DecisionCount[]>;
  /** `bytes` random bytes as lowercase hex (default: node:crypto randomBytes). */
  readonly randomHex?: (bytes: number) => string;
  /** A random 32-bit token salt (default: node:crypto randomInt). */
  readonly randomSalt?: () => number;
}
