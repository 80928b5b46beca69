/**
 * Summarises a V8 .cpuprofile (from `npm run bench:gateway -- --profile DIR`, i.e. the server
 * processes run under `node --cpu-prof`): self time by area (gateway/, core/, policies/, the
 * `ws` library, node internals, GC, native) and the top functions by self and inclusive time.
 *
 *   node dist/bench/cpuprofile-summary.js FILE.cpuprofile [--top N] [--match TEXT]
 *
 * `--match` adds the inclusive time of every function whose name or file contains TEXT.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface Profile {
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

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: "string" }, match: { type: "string", multiple: true } }, allowPositionals: true });
  const file = positionals[0];
  if (file === undefined) {
    console.error("usage: node dist/bench/cpuprofile-summary.js FILE.cpuprofile [--top N] [--match TEXT]...");
    process.exit(2);
  }
  const top = Number(values.top ?? 25);
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  let total = 0;
  let idle = 0;
  const byArea = new Map<string, number>();
  const byFnSelf = new Map<string, number>();
  const byFnTotal = new Map<string, number>();
  const key = (f: CallFrame) => `${f.functionName || "(anonymous)"}  ${f.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const a = area(n.callFrame);
    if (a === "idle") {
      idle += us;
      continue;
    }
    total += us;
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const k = key(n.callFrame);
    byFnSelf.set(k, (byFnSelf.get(k) ?? 0) + us);
    // Inclusive: count once per distinct function on the stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = key(byId.get(cur)!.callFrame);
      if (seen.has(kk)) continue;
      seen.add(kk);
      byFnTotal.set(kk, (byFnTotal.get(kk) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle`);
  console.log("\nself time by area");
  for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1])) console.log(`  ${pct(us)}  ${a}`);
  console.log(`\ntop ${top} functions by self time`);
  for (const [k, us] of [...byFnSelf].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
  console.log(`\ntop ${top} functions by inclusive time`);
  for (const [k, us] of [...byFnTotal].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
  for (const text of values.match ?? []) {
    console.log(`\ninclusive time of functions matching ${JSON.stringify(text)}`);
    for (const [k, us] of [...byFnTotal].filter(([k]) => k.includes(text)).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
  }
}

main();
