/**
 * Summarises a V8 .cpuprofile (from `npm run bench:gateway -- --profile DIR`, i.e. the server
 * processes run under `node --cpu-prof`): self time by area (gateway/, core/, policies/, the
 * `ws` library, node internals, GC, native) and the top functions by self and inclusive time.
 *
 *   node dist/bench/cpuprofile-summary.js FILE.cpuprofile [--top N] [--match TEXT]
 *                                          [--window S --cycles N [--vs FILE2 --vs-cycles N2]]
 *
 * `--match` adds the inclusive time of every function whose name or file contains TEXT.
 *
 * Per cycle: a profile of `bench:gateway --profile` covers the priming, the warm-ups and every
 * round. Run it with `--rounds 1 --duration S`: `--window S` then keeps the S seconds of the
 * profile with the most busy time, the latest of equal ones, which lie in the server's one
 * measured run (it is idle while the other servers run). The window may take in part of that run's
 * warm-up, but the warm-up runs at the same rate, so the window holds about as many cycles as the
 * measured S seconds. `--cycles N` (that run's cycles, from the bench's table) turns self times
 * into µs per cycle. With `--vs FILE2
 * --vs-cycles N2` (another server's profile, the same window length), the functions whose µs per
 * cycle differ most between the two are listed, FILE minus FILE2. A sample's time counts where
 * the sample falls: a window edge cuts at most one sample interval (about 1 ms) from each side.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
export interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The area a frame's source belongs to. */
export function area(frame: CallFrame): string {
  const u = frame.url;
  if (u === "") {
    if (frame.functionName === "(garbage collector)") return "GC";
    if (frame.functionName === "(idle)") return "idle";
    if (frame.functionName === "(program)") return "native (program)";
    if (frame.functionName === "(root)") return "root";
    return "native builtins";
  }
  const m = /\/dist\/(gateway|core|policies|bench|client)\//.exec(u);
  if (m !== null) return `${m[1]}/`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
  if (nm !== null) return `lib ${nm[1]}`;
  if (u.startsWith("node:")) {
    const mod = u.slice(5).split("/").slice(0, 2).join("/");
    return `node:${mod}`;
  }
  return u;
}

/** Self time (µs) of every frame key in `p`, and the busy and idle totals, over samples with start ≤ time < end (µs since the profile's start). */
export interface SelfTimes {
  readonly busyUs: number;
  readonly idleUs: number;
  readonly byArea: Map<string, number>;
  readonly byFnSelf: Map<string, number>;
  readonly byFnTotal: Map<string, number>;
}

const frameKey = (f: CallFrame) => `${f.functionName || "(anonymous)"}  ${f.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;

/** Sample times (µs since the profile's start), one per sample. */
function sampleTimes(p: Profile): number[] {
  const out = new Array<number>(p.samples.length);
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    out[i] = t;
  }
  return out;
}

/**
 * The start (µs since the profile's start) of the `windowUs`-long window with the most busy
 * (non-idle) time, the latest of equal ones, its end on a 100 ms grid; 0 when the profile is
 * shorter than the window.
 */
export function busiestWindow(p: Profile, windowUs: number): number {
  const times = sampleTimes(p);
  const idleIds = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  // busy[i]: busy time of samples 0..i-1.
  const busy = new Array<number>(times.length + 1);
  busy[0] = 0;
  for (let i = 0; i < times.length; i++) busy[i + 1] = busy[i]! + (idleIds.has(p.samples[i]!) ? 0 : (p.timeDeltas[i] ?? 0));
  const end = times.length === 0 ? 0 : times[times.length - 1]!;
  if (end <= windowUs) return 0;
  /** Index of the first sample at or after time t. */
  const firstAt = (t: number): number => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let best = -1;
  let bestStart = 0;
  for (let stop = windowUs; stop <= end + 100_000; stop += 100_000) {
    const start = stop - windowUs;
    const b = busy[firstAt(stop)]! - busy[firstAt(start)]!;
    // The latest of equal windows: a measured round ends a busy stretch that its warm-up began.
    if (b >= best) {
      best = b;
      bestStart = start;
    }
  }
  return bestStart;
}

/** Self times over the samples at start ≤ time < end (µs since the profile's start). */
export function selfTimes(p: Profile, start = 0, end = Number.POSITIVE_INFINITY): SelfTimes {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const times = sampleTimes(p);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    if (times[i]! < start || times[i]! >= end) continue;
    const id = p.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  let busyUs = 0;
  let idleUs = 0;
  const byArea = new Map<string, number>();
  const byFnSelf = new Map<string, number>();
  const byFnTotal = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const a = area(n.callFrame);
    if (a === "idle") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const k = frameKey(n.callFrame);
    byFnSelf.set(k, (byFnSelf.get(k) ?? 0) + us);
    // Inclusive: count once per distinct function on the stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = frameKey(byId.get(cur)!.callFrame);
      if (seen.has(kk)) continue;
      seen.add(kk);
      byFnTotal.set(kk, (byFnTotal.get(kk) ?? 0) + us);
    }
  }
  return { busyUs, idleUs, byArea, byFnSelf, byFnTotal };
}

const USAGE = "usage: node dist/bench/cpuprofile-summary.js FILE.cpuprofile [--top N] [--match TEXT]... [--window S --cycles N [--vs FILE2 --vs-cycles N2]]";

function usage(problem: string): never {
  console.error(`${problem}\n${USAGE}`);
  process.exit(2);
}

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

function load(file: string): Profile {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Profile;
  } catch (err) {
    return usage(`cannot read ${file} as a .cpuprofile: ${(err as Error).message}`);
  }
}

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        top: { type: "string" },
        match: { type: "string", multiple: true },
        window: { type: "string" },
        cycles: { type: "string" },
        vs: { type: "string" },
        "vs-cycles": { type: "string" },
      },
      allowPositionals: true,
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  const file = positionals[0];
  if (file === undefined) return usage("no profile given");
  const top = positive("top", values.top) ?? 25;
  const windowS = positive("window", values.window);
  const cycles = positive("cycles", values.cycles);
  const vsCycles = positive("vs-cycles", values["vs-cycles"]);
  if (cycles !== undefined && windowS === undefined) usage("--cycles needs --window (the cycles of one measured round)");
  if (values.vs !== undefined && (cycles === undefined || vsCycles === undefined)) usage("--vs needs --window, --cycles and --vs-cycles");
  if (vsCycles !== undefined && values.vs === undefined) usage("--vs-cycles needs --vs");

  const windowOf = (p: Profile): [number, number] => {
    if (windowS === undefined) return [0, Number.POSITIVE_INFINITY];
    const start = busiestWindow(p, windowS * 1e6);
    return [start, start + windowS * 1e6];
  };
  const p = load(file);
  const [start, end] = windowOf(p);
  const t = selfTimes(p, start, end);
  const pct = (us: number) => `${((100 * us) / t.busyUs).toFixed(1).padStart(5)}%`;
  const perCycle = (us: number) => (cycles === undefined ? "" : `${(us / cycles).toFixed(2).padStart(8)} µs/cycle  `);
  const where = windowS === undefined ? "" : ` in the busiest ${windowS} s (from ${(start / 1e6).toFixed(1)} s)`;
  console.log(`${file}: ${(t.busyUs / 1000).toFixed(0)} ms busy, ${(t.idleUs / 1000).toFixed(0)} ms idle${where}`);
  if (cycles !== undefined) console.log(`  ${cycles} cycles: ${(t.busyUs / cycles).toFixed(1)} µs busy per cycle`);
  console.log("\nself time by area");
  for (const [a, us] of [...t.byArea].sort((x, y) => y[1] - x[1])) console.log(`  ${pct(us)}  ${perCycle(us)}${a}`);
  console.log(`\ntop ${top} functions by self time`);
  for (const [k, us] of [...t.byFnSelf].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${perCycle(us)}${k}`);
  console.log(`\ntop ${top} functions by inclusive time`);
  for (const [k, us] of [...t.byFnTotal].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${perCycle(us)}${k}`);
  for (const text of values.match ?? []) {
    console.log(`\ninclusive time of functions matching ${JSON.stringify(text)}`);
    for (const [k, us] of [...t.byFnTotal].filter(([k]) => k.includes(text)).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${perCycle(us)}${k}`);
  }
  if (values.vs !== undefined && cycles !== undefined && vsCycles !== undefined) {
    const q = load(values.vs);
    const [qs, qe] = windowOf(q);
    const u = selfTimes(q, qs, qe);
    const a = (k: string) => (t.byFnSelf.get(k) ?? 0) / cycles;
    const b = (k: string) => (u.byFnSelf.get(k) ?? 0) / vsCycles;
    const diffs = [...new Set([...t.byFnSelf.keys(), ...u.byFnSelf.keys()])].map((k) => [k, a(k) - b(k)] as const).sort((x, y) => y[1] - x[1]);
    console.log(`\nself time per cycle, ${file} minus ${values.vs} (busy: ${(t.busyUs / cycles).toFixed(1)} - ${(u.busyUs / vsCycles).toFixed(1)} µs/cycle)`);
    console.log("  largest excess");
    for (const [k, d] of diffs.slice(0, top)) console.log(`  ${d.toFixed(2).padStart(8)}  ${a(k).toFixed(2).padStart(8)}  ${b(k).toFixed(2).padStart(8)}  ${k}`);
    console.log("  largest saving");
    for (const [k, d] of diffs.slice(-Math.min(top, 10)).reverse()) console.log(`  ${d.toFixed(2).padStart(8)}  ${a(k).toFixed(2).padStart(8)}  ${b(k).toFixed(2).padStart(8)}  ${k}`);
  }
}

// Run as a command only (test files import the functions).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
