/**
 * The fan-out part of `npm run bench:scale` (bench/scale-bench.ts): what one login costs a
 * deployment of G gateways on one Redis deployment, and whether the messages each gateway
 * receives grow with G (docs/scaling.md, "Measured: remote-login messages and the cost of a login").
 *
 * One run = one Redis deployment (`single`: an own redis-server; `cluster`: an own 3-master
 * Redis Cluster) and G `rtm-auth serve` processes on it (one key prefix). One token project is
 * created on the first gateway and awaited on every other. Then, for `seconds` at `rate` logins
 * per second in all (paced in 10 ms ticks), this process opens one connection per login with the
 * lean raw-socket client and keeps it open:
 *  - a share `relogin` of the logins re-uses an identity that is logged in right now, on the
 *    NEXT gateway after the one holding it (the user who reconnects through another gateway: the
 *    case that needs a remote kick);
 *  - the others are fresh identities, round-robin over the gateways.
 *
 * Measured over the timed window, from each gateway's own `/metrics` and each Redis node's
 * `INFO` (deltas):
 *  - remote-login messages received per gateway per second (rtm_auth_remote_login_messages_total
 *    {direction="received"}), and sent;
 *  - Redis commands per login (INFO commandstats, summed over the nodes, up to the settled end) and
 *    Redis CPU per login (used_cpu_user + used_cpu_sys);
 *  - gateway CPU per login (process_cpu_seconds_total, summed over the gateways).
 * Both CPU figures are taken from the first login to the last reply, less what the same deployment
 * spent in that time when idle (measured over an idle window first: heartbeats and timers).
 * And checked at the end: every identity has exactly one session left (as on Agora, whichever of
 * its logins the gateways took last), every other connection of it was closed by its gateway.
 *
 * The broadcast design this replaced delivered every login to every other gateway: L × (G − 1) / G
 * messages per gateway per second. That figure is printed beside the measured one as the model's
 * value, not measured (the broadcast is gone).
 */
import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { RTM_PATH } from "../core/protocol/wire.js";
import { buildRtmToken } from "../core/token/index.js";
import { commandStatsDelta, parseCommandStats, startGatewayProcess, type GatewayProcess } from "./gateway-process.js";
import { LeanWsConnection, maskedTextFrame, upgradeRequest, type WsTarget } from "./lean-ws-client.js";

/** A Redis deployment a run can use: its URL for the gateways, and one client per node for INFO. */
export interface ScaleRedis {
  readonly mode: "single" | "cluster";
  /** REDIS_URL for the gateways. */
  readonly url: string;
  /** One connection per server (every master and replica), for INFO. */
  readonly nodes: readonly Redis[];
  stop(): Promise<void>;
}

export interface FanoutOptions {
  readonly redis: ScaleRedis;
  readonly gateways: number;
  /** Logins per second over every gateway. */
  readonly rate: number;
  readonly seconds: number;
  /** Share of logins that re-use a logged-in identity on another gateway, in [0, 1]. */
  readonly relogin: number;
  readonly log: (line: string) => void;
}

export interface FanoutResult {
  readonly redis: "single" | "cluster";
  readonly gateways: number;
  readonly rate: number;
  readonly seconds: number;
  readonly relogin: number;
  readonly logins: number;
  readonly accepted: number;
  readonly failed: number;
  readonly firstError: string | null;
  readonly relogins: number;
  /** Redis commands per gateway per second over an idle window before the logins (heartbeats). */
  readonly idleCommandsPerGatewayPerSecond: number;
  /** Remote-login messages received, per gateway per second: each gateway's figure. */
  readonly receivedPerGatewayPerSecond: readonly number[];
  /** The same, averaged over the gateways. */
  readonly receivedPerGatewayPerSecondMean: number;
  /** What the broadcast design delivered: rate × (G − 1) / G (the model, not measured). */
  readonly broadcastPerGatewayPerSecond: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  /** Redis commands per login, by command (lower case), summed over the nodes. */
  readonly redisCommandsPerLogin: Readonly<Record<string, number>>;
  readonly redisCommandsPerLoginTotal: number;
  readonly redisCpuPerLoginUs: number;
  readonly gatewayCpuPerLoginUs: number;
  /** Identities logged in, and those left with other than exactly one open connection. */
  readonly identities: number;
  readonly identitiesWrong: number;
  /** Replaced connections the gateways closed, and those beyond one per identity left open. */
  readonly replacedClosed: number;
  readonly replacedOpen: number;
  /** Up to 5 identities without exactly one session: each login's gateway index and its socket's state, oldest first. */
  readonly wrongExamples: readonly string[];
  readonly ok: boolean;
}

const TICK_MS = 10;
const IDLE_WINDOW_MS = 3_000;
/** Longest wait for replaced connections to be closed after the last login. */
const SETTLE_MAX_MS = 5_000;

async function metricsText(g: GatewayProcess): Promise<string> {
  const res = await fetch(`${g.http}/metrics`);
  if (!res.ok) throw new Error(`GET ${g.http}/metrics → ${res.status}`);
  return await res.text();
}

/** Sum of every series of `name` whose labels include `match` (a `k="v"` fragment, or "" for all). */
export function metricSum(text: string, name: string, match = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    if (match !== "" && !rest.includes(match)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

interface NodeFigures {
  readonly stats: Map<string, number>;
  readonly cpu: number;
}

async function nodeFigures(node: Redis): Promise<NodeFigures> {
  const [stats, cpu] = await Promise.all([node.info("commandstats"), node.info("cpu")]);
  const field = (k: string): number => Number(new RegExp(`^${k}:([0-9.]+)`, "m").exec(cpu)?.[1] ?? "NaN");
  return { stats: parseCommandStats(stats), cpu: field("used_cpu_user") + field("used_cpu_sys") };
}

interface GatewayFigures {
  readonly received: number;
  readonly sent: number;
  readonly cpu: number;
}

async function gatewayFigures(g: GatewayProcess): Promise<GatewayFigures> {
  const text = await metricsText(g);
  return {
    received: metricSum(text, "rtm_auth_remote_login_messages_total", 'direction="received"'),
    sent: metricSum(text, "rtm_auth_remote_login_messages_total", 'direction="sent"'),
    cpu: metricSum(text, "process_cpu_seconds_total"),
  };
}

async function adminCall<T>(http: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${http}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
  return { status: res.status, body: (await res.json()) as T };
}

/** One fan-out run (see the file's comment). Never leaves a process or socket behind. */
export async function runFanout(o: FanoutOptions): Promise<FanoutResult> {
  const prefix = `rtm-auth-scale:${randomInt(1 << 30).toString(16)}:`;
  const env = { REDIS_URL: o.redis.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: "warn", LOGIN_DEADLINE_SECONDS: "15" };
  const gateways: GatewayProcess[] = [];
  const conns: LeanWsConnection[] = [];
  try {
    gateways.push(...(await Promise.all(Array.from({ length: o.gateways }, (_, i) => startGatewayProcess({ name: `gateway ${i}`, env })))));
    const created = await adminCall<{ appId: string; certificates: { primary: { value: string } | null } }>(gateways[0]!.http, "POST", "/admin/projects", { mechanism: "token" });
    const certificate = created.body.certificates.primary?.value;
    if (created.status !== 201 || certificate === undefined) throw new Error(`POST /admin/projects → ${created.status}`);
    const appId = created.body.appId;
    for (const g of gateways) {
      for (let i = 0; (await fetch(`${g.http}/admin/projects/${appId}`)).status !== 200; i++) {
        if (i >= 500) throw new Error(`gateway ${g.pid} never saw the project`);
        await sleep(10);
      }
    }
    const targets: WsTarget[] = gateways.map((g) => ({ host: "127.0.0.1", port: g.port, path: RTM_PATH }));
    const requests = targets.map((t) => upgradeRequest(t));
    const frameFor = (uid: string): Buffer => {
      const token = buildRtmToken({ version: "007", appId, certificate, uid, expireSeconds: 3600, issueTs: Math.floor(Date.now() / 1000), salt: randomInt(1, 2 ** 32 - 1) });
      return maskedTextFrame(JSON.stringify({ id: 1, op: "login", appId, uid, token, profile: "rtm1" }));
    };

    // Identity → every connection it logged in on (newest last) and the gateway of the newest.
    const newest = new Map<string, { conns: LeanWsConnection[]; gateway: number }>();
    const gatewayOf = new Map<LeanWsConnection, number>();
    const loggedIn: string[] = [];
    let accepted = 0;
    let failed = 0;
    let firstError: string | null = null;
    let logins = 0;
    let relogins = 0;
    let fresh = 0;
    const login = (uid: string, gateway: number): void => {
      logins++;
      const conn = new LeanWsConnection(targets[gateway]!, requests[gateway]!, frameFor(uid), true, (_c, ok, detail) => {
        if (ok) {
          accepted++;
          loggedIn.push(uid);
        } else {
          failed++;
          firstError ??= detail;
        }
      });
      conns.push(conn);
      gatewayOf.set(conn, gateway);
      const entry = newest.get(uid);
      if (entry === undefined) newest.set(uid, { conns: [conn], gateway });
      else {
        entry.conns.push(conn);
        entry.gateway = gateway;
      }
    };

    // Heartbeats: the commands of an idle deployment.
    await sleep(1_000);
    const idle0 = await Promise.all(o.redis.nodes.map(nodeFigures));
    const idleG0 = await Promise.all(gateways.map(gatewayFigures));
    const idleStarted = performance.now();
    await sleep(IDLE_WINDOW_MS);
    const idle1 = await Promise.all(o.redis.nodes.map(nodeFigures));
    const idleG1 = await Promise.all(gateways.map(gatewayFigures));
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    // CPU seconds per second of the idle deployment (heartbeats, timers), taken off the login window's CPU below.
    const idleGatewayCpuRate = idleG1.reduce((s, b, i) => s + b.cpu - idleG0[i]!.cpu, 0) / idleSeconds;
    const idleRedisCpuRate = idle1.reduce((s, b, i) => s + b.cpu - idle0[i]!.cpu, 0) / idleSeconds;
    let idleCommands = 0;
    for (let i = 0; i < idle1.length; i++) for (const [k, v] of commandStatsDelta(idle0[i]!.stats, idle1[i]!.stats)) if (k !== "info") idleCommands += v;

    // Warm-up, not measured: every gateway's login path compiled.
    const warm = Array.from({ length: 100 * o.gateways }, (_, i) => new LeanWsConnection(targets[i % o.gateways]!, requests[i % o.gateways]!, frameFor(`warm-${i}`), false, () => undefined));
    for (let i = 0; i < 500 && !warm.every((c) => c.finished); i++) await sleep(10);

    await sleep(1_000);
    const g0 = await Promise.all(gateways.map(gatewayFigures));
    const n0 = await Promise.all(o.redis.nodes.map(nodeFigures));
    const total = Math.round(o.rate * o.seconds);
    const started = performance.now();
    while (logins < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * o.rate));
      while (logins < due) {
        // A re-login takes an identity whose login was accepted, and goes through the next gateway.
        if (o.gateways > 1 && loggedIn.length > 0 && Math.random() < o.relogin) {
          const uid = loggedIn[randomInt(loggedIn.length)]!;
          relogins++;
          login(uid, (newest.get(uid)!.gateway + 1) % o.gateways);
        } else {
          login(`scale-${fresh}`, fresh % o.gateways);
          fresh++;
        }
      }
      await sleep(TICK_MS);
    }
    const elapsed = (performance.now() - started) / 1000;
    for (let i = 0; i < 300 && accepted + failed < logins; i++) await sleep(20);
    // CPU of the logins: from the first to the last reply, less what the idle deployment spends in that time.
    const cpuSeconds = (performance.now() - started) / 1000;
    const gCpu = await Promise.all(gateways.map(gatewayFigures));
    const nCpu = await Promise.all(o.redis.nodes.map(nodeFigures));
    // Replies, then the kicks and their messages, settle. This client answers no close frame, so a
    // replaced connection's socket goes at the gateway's CLOSE_TIMEOUT_MS (2 s): wait for those.
    for (let i = 0; i < 300 && accepted + failed < logins; i++) await sleep(20);
    await sleep(1_000);
    const settled = (): boolean => [...newest.values()].every(({ conns: list }) => list.filter((c) => !c.dropped && !c.socket.destroyed).length <= 1);
    for (let i = 0; i < SETTLE_MAX_MS / 100 && !settled(); i++) await sleep(100);
    const g1 = await Promise.all(gateways.map(gatewayFigures));
    const n1 = await Promise.all(o.redis.nodes.map(nodeFigures));

    const received = g1.map((b, i) => b.received - g0[i]!.received);
    const sent = g1.reduce((s, b, i) => s + b.sent - g0[i]!.sent, 0);
    const commands = new Map<string, number>();
    for (let i = 0; i < n1.length; i++) for (const [k, v] of commandStatsDelta(n0[i]!.stats, n1[i]!.stats)) commands.set(k, (commands.get(k) ?? 0) + v);
    const perLogin: Record<string, number> = {};
    let commandsTotal = 0;
    for (const [k, v] of [...commands].sort((a, b) => b[1] - a[1])) {
      if (v <= 0 || k === "info") continue;
      perLogin[k] = v / logins;
      commandsTotal += v;
    }
    const redisCpu = Math.max(0, nCpu.reduce((s, b, i) => s + b.cpu - n0[i]!.cpu, 0) - idleRedisCpuRate * cpuSeconds);
    const gatewayCpu = Math.max(0, gCpu.reduce((s, b, i) => s + b.cpu - g0[i]!.cpu, 0) - idleGatewayCpuRate * cpuSeconds);

    // As on Agora, one identity keeps exactly one session: whichever login its gateways took last.
    let identitiesWrong = 0;
    const wrongExamples: string[] = [];
    let replacedOpen = 0;
    let replacedTotal = 0;
    for (const { conns: list } of newest.values()) {
      const open = list.filter((c) => !c.dropped && !c.socket.destroyed).length;
      if (open !== 1) {
        identitiesWrong++;
        if (wrongExamples.length < 5) wrongExamples.push(list.map((c) => `${gatewayOf.get(c)}:${c.dropped || c.socket.destroyed ? "closed" : "open"}`).join(" "));
      }
      replacedTotal += list.length - 1;
      replacedOpen += Math.max(0, open - 1);
    }
    const receivedRates = received.map((r) => r / elapsed);
    const result: FanoutResult = {
      redis: o.redis.mode,
      gateways: o.gateways,
      rate: o.rate,
      seconds: elapsed,
      relogin: o.relogin,
      logins,
      accepted,
      failed,
      firstError,
      relogins,
      idleCommandsPerGatewayPerSecond: idleCommands / o.gateways / (IDLE_WINDOW_MS / 1000),
      receivedPerGatewayPerSecond: receivedRates,
      receivedPerGatewayPerSecondMean: receivedRates.reduce((s, r) => s + r, 0) / receivedRates.length,
      broadcastPerGatewayPerSecond: (o.rate * (o.gateways - 1)) / o.gateways,
      messagesSent: sent,
      messagesReceived: received.reduce((s, r) => s + r, 0),
      redisCommandsPerLogin: perLogin,
      redisCommandsPerLoginTotal: commandsTotal / logins,
      redisCpuPerLoginUs: (redisCpu / logins) * 1e6,
      gatewayCpuPerLoginUs: (gatewayCpu / logins) * 1e6,
      identities: newest.size,
      identitiesWrong,
      replacedClosed: replacedTotal - replacedOpen,
      replacedOpen,
      wrongExamples,
      ok: failed === 0 && identitiesWrong === 0 && replacedOpen === 0,
    };
    o.log(
      `${o.redis.mode.padEnd(7)} G=${o.gateways}: ${logins} logins (${relogins} through another gateway) in ${elapsed.toFixed(1)} s; ` +
        `received/gateway/s ${result.receivedPerGatewayPerSecondMean.toFixed(1)} (broadcast model ${result.broadcastPerGatewayPerSecond.toFixed(1)}); ` +
        `Redis ${result.redisCommandsPerLoginTotal.toFixed(2)} commands and ${result.redisCpuPerLoginUs.toFixed(1)} µs CPU per login; gateways ${result.gatewayCpuPerLoginUs.toFixed(1)} µs CPU per login` +
        (result.ok ? "" : `; NOT OK: failed ${failed} (${String(firstError)}), identities without their newest session ${identitiesWrong}, replaced still open ${replacedOpen}; e.g. ${wrongExamples.join(" | ")}`),
    );
    return result;
  } finally {
    for (const c of conns) if (!c.socket.destroyed) c.socket.destroy();
    await Promise.all(gateways.map((g) => g.stop()));
  }
}
