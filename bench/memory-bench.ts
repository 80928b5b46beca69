/**
 * The idle-memory half of the gateway benchmark: RSS per logged-in idle gateway session against
 * RSS per idle bare `ws` connection.
 *
 * For each server (its own child process, started with --expose-gc): warm it up with
 * `warmCycles` connect/login/close cycles (bench:gateway runs 5,000) (so JIT code and lazily built tables are in the baseline),
 * read its RSS after gc() and a settle delay, open `sessions` connections from one or two holder
 * processes on the lean raw-socket client (gateway: each logged in with its own 007 token, with
 * no login deadline; bare: each sent one message and got the reply) and keep them open, read
 * the RSS again the same way, then close everything. Per connection = (after − before) / sessions.
 */
import { BenchChild, type Message } from "./bench-ipc.js";

export interface MemoryOptions {
  readonly sessions: number;
  /** Connections being opened at once per holder. */
  readonly openConcurrency: number;
  readonly settleMs: number;
  readonly warmCycles: number;
  /** Measured pairs (bare and gateway, each on a fresh server process), in alternating order. Default 1. */
  readonly rounds?: number;
  readonly log: (line: string) => void;
}

export interface MemoryServerResult {
  readonly kind: "bare" | "gateway";
  readonly sessions: number;
  readonly opened: number;
  readonly failed: number;
  readonly firstError: string | null;
  readonly openMs: number;
  readonly serverConnections: number;
  readonly serverSessions: number;
  readonly gc: boolean;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly heapTotalBefore: number;
  readonly heapTotalAfter: number;
  readonly heapUsedBefore: number;
  readonly heapUsedAfter: number;
  readonly externalBefore: number;
  readonly externalAfter: number;
  /** (rssAfter − rssBefore) / sessions, bytes. */
  readonly rssPerConnection: number;
  /** (heapUsedAfter − heapUsedBefore) / sessions, bytes. */
  readonly heapPerConnection: number;
  /** (externalAfter − externalBefore) / sessions, bytes (Buffers and other off-heap memory). */
  readonly externalPerConnection: number;
  /**
   * Per V8 heap space that grew: (after − before) / sessions of its committed size and of its used
   * size, bytes. Absent when the server did not report spaces.
   */
  readonly spacesPerConnection?: Readonly<Record<string, { readonly committed: number; readonly used: number }>>;
  /**
   * Growth per connection of the resident size of the C allocator's main heap (the "[heap]"
   * mapping) and of every other anonymous mapping (V8's heap pages, the allocator's large blocks),
   * bytes, from /proc/self/smaps; absent where the server could not read it (not Linux).
   */
  readonly mappingsPerConnection?: { readonly brkHeap: number; readonly otherAnonymous: number };
  readonly droppedWhileHeld: number;
}

export interface MemoryResult {
  readonly sessions: number;
  readonly holders: number;
  /** The pair of the median round (of the lower middle one for an even count). */
  readonly bare: MemoryServerResult;
  readonly gateway: MemoryServerResult;
  /** The median over the rounds of gateway.rssPerConnection / bare.rssPerConnection. */
  readonly ratio: number;
  /** Each round's ratio, in the order run. */
  readonly roundRatios: readonly number[];
}

/** Most sockets one holder process opens (the open-file limit is 20000 per process). */
export const MAX_PER_HOLDER = 15_000;
/** Most connections one server process can hold here (its own file limit, less some headroom). */
export const MAX_SESSIONS = 19_000;

function n(m: Message, key: string): number {
  const v = m[key];
  return typeof v === "number" ? v : Number.NaN;
}

async function measureServer(kind: "bare" | "gateway", holders: readonly BenchChild[], counts: readonly number[], o: MemoryOptions): Promise<MemoryServerResult> {
  // The decision journal off (JOURNAL_SIZE=0): it is a bounded ring of the last decisions, a fixed
  // cost that would otherwise land on the per-session figures.
  const overrides = JSON.stringify({ loginDeadlineSeconds: 0, maxConnections: o.sessions + 1_000, journalSize: 0 });
  const { child: server, ready } = await BenchChild.start(`${kind} server (memory)`, "./gateway-bench-server.js", [kind, overrides], ["--expose-gc"]);
  try {
    const port = n(ready, "port");
    const path = String(ready["path"]);
    for (const h of holders) await h.request({ type: "rewind" });
    const first = holders[0]!;
    await first.request({ type: "run", port, path, concurrency: 16, warmupMs: 0, durationMs: 60_000, maxCycles: o.warmCycles, advance: true }, 120_000);
    const before = await server.request({ type: "memory", settleMs: o.settleMs });
    const started = performance.now();
    const opened = await Promise.all(holders.map((h, i) => h.request({ type: "hold", port, path, count: counts[i]!, concurrency: o.openConcurrency }, 300_000)));
    const openMs = performance.now() - started;
    const after = await server.request({ type: "memory", settleMs: o.settleMs });
    const stats = await Promise.all(holders.map((h) => h.request({ type: "stats" })));
    await Promise.all(holders.map((h) => h.request({ type: "release" }, 60_000)));
    const ok = opened.reduce((s, m) => s + n(m, "opened"), 0);
    const failed = opened.reduce((s, m) => s + n(m, "failed"), 0);
    const firstError = opened.map((m) => m["firstError"]).find((e) => typeof e === "string") as string | undefined;
    const r: MemoryServerResult = {
      kind,
      sessions: o.sessions,
      opened: ok,
      failed,
      firstError: firstError ?? null,
      openMs,
      serverConnections: n(after, "connections"),
      serverSessions: n(after, "sessions"),
      gc: after["gc"] === true,
      rssBefore: n(before, "rss"),
      rssAfter: n(after, "rss"),
      heapTotalBefore: n(before, "heapTotal"),
      heapTotalAfter: n(after, "heapTotal"),
      heapUsedBefore: n(before, "heapUsed"),
      heapUsedAfter: n(after, "heapUsed"),
      externalBefore: n(before, "external"),
      externalAfter: n(after, "external"),
      rssPerConnection: (n(after, "rss") - n(before, "rss")) / o.sessions,
      heapPerConnection: (n(after, "heapUsed") - n(before, "heapUsed")) / o.sessions,
      externalPerConnection: (n(after, "external") - n(before, "external")) / o.sessions,
      spacesPerConnection: spaceGrowth(before, after, o.sessions),
      ...(after["smaps"] === true && before["smaps"] === true
        ? { mappingsPerConnection: { brkHeap: (n(after, "brkHeap") - n(before, "brkHeap")) / o.sessions, otherAnonymous: (n(after, "anon") - n(before, "anon")) / o.sessions } }
        : {}),
      droppedWhileHeld: stats.reduce((s, m) => s + n(m, "dropped"), 0),
    };
    o.log(
      `  ${kind.padEnd(8)} ${ok} connections open (${failed} failed) in ${(openMs / 1000).toFixed(1)} s; server sees ${r.serverConnections} connections, ${r.serverSessions} sessions; ` +
        `RSS ${(r.rssBefore / 2 ** 20).toFixed(1)} → ${(r.rssAfter / 2 ** 20).toFixed(1)} MiB`,
    );
    const mp = r.mappingsPerConnection;
    if (mp !== undefined) o.log(`           resident mappings per connection: C allocator heap ${mp.brkHeap.toFixed(0)}, other anonymous ${mp.otherAnonymous.toFixed(0)}`);
    o.log(`           V8 heap spaces, committed (used) per connection: ${spaceDeltas(before, after, o.sessions)}`);
    return r;
  } finally {
    await server.stop();
  }
}

/** Runs the idle-memory comparison (bare first, then the gateway). */
export async function runMemoryBench(o: MemoryOptions): Promise<MemoryResult> {
  const holderCount = Math.max(1, Math.ceil(o.sessions / MAX_PER_HOLDER), o.sessions >= 2_000 ? 2 : 1);
  const counts = Array.from({ length: holderCount }, (_, i) => Math.floor(o.sessions / holderCount) + (i < o.sessions % holderCount ? 1 : 0));
  const holders: BenchChild[] = [];
  try {
    for (let i = 0; i < holderCount; i++) holders.push((await BenchChild.start(`holder ${i}`, "./gateway-bench-load.js", [])).child);
    const t0 = performance.now();
    await Promise.all(holders.map((h, i) => h.request({ type: "mint", count: counts[i]! + (i === 0 ? o.warmCycles : 0), prefix: `mem-h${i}-` }, 300_000)));
    o.log(`  minted ${o.sessions + o.warmCycles} tokens in ${holderCount} holder process(es) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // RSS moves by a few hundred bytes per connection from one server process to the next (old-space
    // pages V8 keeps committed, the allocator's native memory): rounds of fresh processes, in
    // alternating order, and their median ratio.
    const pairs: { bare: MemoryServerResult; gateway: MemoryServerResult; ratio: number }[] = [];
    const rounds = o.rounds ?? 1;
    for (let r = 1; r <= rounds; r++) {
      if (rounds > 1) o.log(`  round ${r} of ${rounds}`);
      let bare: MemoryServerResult;
      let gateway: MemoryServerResult;
      if (r % 2 === 1) {
        bare = await measureServer("bare", holders, counts, o);
        gateway = await measureServer("gateway", holders, counts, o);
      } else {
        gateway = await measureServer("gateway", holders, counts, o);
        bare = await measureServer("bare", holders, counts, o);
      }
      pairs.push({ bare, gateway, ratio: gateway.rssPerConnection / bare.rssPerConnection });
    }
    const middle = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor((pairs.length - 1) / 2)]!;
    return { sessions: o.sessions, holders: holderCount, bare: middle.bare, gateway: middle.gateway, ratio: middle.ratio, roundRatios: pairs.map((p) => p.ratio) };
  } finally {
    await Promise.all(holders.map((h) => h.stop()));
  }
}

/** Growth per connection of each V8 heap space that grew, committed and used (from the server's `memory` replies). */
function spaceGrowth(before: Message, after: Message, sessions: number): Record<string, { committed: number; used: number }> {
  type Spaces = Record<string, { size: number; used: number }>;
  const b = (before["spaces"] ?? {}) as Spaces;
  const a = (after["spaces"] ?? {}) as Spaces;
  const out: Record<string, { committed: number; used: number }> = {};
  for (const [name, s] of Object.entries(a)) {
    const committed = (s.size - (b[name]?.size ?? 0)) / sessions;
    const used = (s.used - (b[name]?.used ?? 0)) / sessions;
    if (Math.abs(committed) >= 1 || Math.abs(used) >= 1) out[name.replace(/_space$/, "")] = { committed, used };
  }
  return out;
}

/** "space committed (used)" per connection for each V8 heap space that grew. */
function spaceDeltas(before: Message, after: Message, sessions: number): string {
  const parts = Object.entries(spaceGrowth(before, after, sessions)).map(([name, g]) => `${name} ${g.committed.toFixed(0)} (${g.used.toFixed(0)})`);
  return parts.length === 0 ? "n/a" : parts.join(", ");
}
