/**
 * The compose scale profile (docs/deploy.md, "Scale profile"), checked without a container engine:
 *
 * - docker-compose.yml: the scale profile's services (two or more gateways, HAProxy, a Redis
 *   primary and its replica, three Sentinels, a Prometheus and Grafana), their start order, every
 *   file they mount from ./deploy, the gateways' Sentinel REDIS_URL, pinned images, no host port
 *   used twice; and the default profile left as it was (test/unit/docker-compose.test.ts checks it
 *   in detail);
 * - deploy/haproxy/haproxy.cfg: every backend server is a gateway service on its port, health is
 *   GET /readyz expecting 200, WebSocket tunnels get a long timeout;
 * - deploy/prometheus/prometheus-scale.yml: every gateway is its own target, labelled by name;
 * - deploy/grafana/: the provisioned data source is that Prometheus, the provider reads the mounted
 *   dashboards, and every query of the dashboard parses as PromQL (Prometheus' own grammar) and
 *   names only metrics and labels that a REAL gateway exports: the names come from the /metrics of
 *   a gateway started here, after a login, a refusal and a shadow decision, so renaming a metric
 *   fails this test. Counters are only read through rate()/increase(), quantiles come from
 *   `_bucket` series grouped by `le`, and the panels the scale profile promises are present;
 * - the Redis and Sentinel command lines and deploy/redis/sentinel.conf, run by a real
 *   redis-server (7.0, as the images) with the container names swapped for 127.0.0.1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createRtmClient } from "../../client/index.js";
import { DEV_PROJECTS } from "../../gateway/dev-seed.js";
import { METRICS } from "../../gateway/infra/metrics.js";
import { createLogger } from "../../gateway/logger.js";
import { startGateway, type Gateway } from "../../gateway/main.js";
import { expectRtmError } from "../support/recorder.js";
import { freePort, redisServerUnavailable, startOwnRedisServer, type OwnRedisServer } from "../support/redis.js";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

// ---------------------------------------------------------------- docker-compose.yml

interface Service {
  readonly image?: string;
  readonly build?: string;
  readonly profiles?: string[];
  readonly command?: string[];
  readonly environment?: Record<string, string>;
  readonly volumes?: string[];
  readonly ports?: string[];
  readonly depends_on?: Record<string, { condition: string }>;
  readonly healthcheck?: { test: string[] };
}

// Compose reads YAML merge keys (`<<: *anchor`); so does this parse.
const compose = parse(read("docker-compose.yml"), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const names = Object.keys(services);
const inScale = (name: string) => services[name]?.profiles?.includes("scale") === true;
const scaleNames = names.filter(inScale);
const defaultNames = names.filter((n) => services[n]?.profiles === undefined);
const svc = (name: string): Service => {
  const s = services[name];
  if (s === undefined) throw new Error(`no service ${name}`);
  return s;
};

/** The scale profile's gateways: the services built from the repository's Dockerfile. */
const gateways = scaleNames.filter((n) => svc(n).build === ".");
const sentinels = scaleNames.filter((n) => (svc(n).command ?? []).join(" ").includes("--sentinel"));
const redisNodes = scaleNames.filter((n) => (svc(n).image ?? "").startsWith("redis:") && !sentinels.includes(n));
const replicaOf = (n: string) => {
  const cmd = svc(n).command ?? [];
  const i = cmd.indexOf("--replicaof");
  return i < 0 ? null : { host: cmd[i + 1] as string, port: Number(cmd[i + 2]) };
};
const primaries = redisNodes.filter((n) => replicaOf(n) === null);
const replicas = redisNodes.filter((n) => replicaOf(n) !== null);
const byImage = (prefix: string) => scaleNames.filter((n) => (svc(n).image ?? "").startsWith(prefix));

/** `./deploy/x:/target[:ro]` mounts of a service: host path (repository-relative) and target. */
function deployMounts(name: string): Array<{ host: string; target: string }> {
  return (svc(name).volumes ?? [])
    .filter((v) => v.startsWith("./"))
    .map((v) => {
      const [host, target] = v.split(":") as [string, string];
      return { host: host.slice(2), target };
    });
}

/** The container path a repository file is mounted on in `name` (through a file or folder mount). */
function containerPathOf(name: string, repoPath: string): string | undefined {
  for (const m of deployMounts(name)) {
    if (m.host === repoPath) return m.target;
    if (repoPath.startsWith(`${m.host}/`)) return m.target + repoPath.slice(m.host.length);
  }
  return undefined;
}

/** The repository file behind a container path of `name`, if a ./deploy mount holds it. */
function repoPathOf(name: string, containerPath: string): string | undefined {
  for (const m of deployMounts(name)) {
    if (m.target === containerPath) return m.host;
    if (containerPath.startsWith(`${m.target}/`)) return m.host + containerPath.slice(m.target.length);
  }
  return undefined;
}

const SENTINEL_CONF = read("deploy/redis/sentinel.conf");
const MONITOR = /^sentinel monitor (\S+) (\S+) (\d+) (\d+)$/m.exec(SENTINEL_CONF);

describe("docker-compose.yml: the scale profile", () => {
  it("has two or more gateways, the load balancer, a Redis primary and replica, three Sentinels, Prometheus and Grafana", () => {
    expect(gateways.length).toBeGreaterThanOrEqual(2);
    expect(byImage("haproxy:")).toEqual(["haproxy"]);
    expect(primaries).toEqual(["redis-primary"]);
    expect(replicas).toEqual(["redis-replica"]);
    expect(replicaOf("redis-replica")).toEqual({ host: "redis-primary", port: 6379 });
    expect(sentinels).toEqual(["sentinel-1", "sentinel-2", "sentinel-3"]);
    expect(byImage("prom/prometheus:")).toEqual(["prometheus-scale"]);
    expect(byImage("grafana/grafana:")).toEqual(["grafana"]);
    // Nothing else hides in the profile.
    expect([...scaleNames].sort()).toEqual([...gateways, "haproxy", ...redisNodes, ...sentinels, "prometheus-scale", "grafana"].sort());
    for (const n of scaleNames) expect(svc(n).profiles, n).toEqual(["scale"]);
  });

  it("leaves the default profile as it was: redis, gateway and prometheus, none of them depending on a scale service", () => {
    expect([...defaultNames].sort()).toEqual(["gateway", "prometheus", "redis"]);
    for (const n of defaultNames) {
      for (const dep of Object.keys(svc(n).depends_on ?? {})) expect(inScale(dep), `${n} -> ${dep}`).toBe(false);
    }
    expect(svc("gateway").environment?.["REDIS_URL"]).toBe("redis://redis:6379");
    expect(svc("prometheus").volumes).toEqual(["./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"]);
    const prom = parse(read("deploy/prometheus/prometheus.yml")) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    expect(prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))).toEqual(["gateway:8080"]);
  });

  it("every depends_on names a service, in the default profile or its own, and every service has a healthcheck", () => {
    for (const n of names) {
      for (const [dep, how] of Object.entries(svc(n).depends_on ?? {})) {
        expect(names, `${n} depends on ${dep}`).toContain(dep);
        if (inScale(dep)) expect(inScale(n), `${n} (default profile) depends on ${dep} (scale)`).toBe(true);
        expect(["service_started", "service_healthy"], `${n} -> ${dep}`).toContain(how.condition);
        if (how.condition === "service_healthy") expect(svc(dep).healthcheck, `${dep} has no healthcheck for ${n} to wait on`).toBeDefined();
      }
      expect(svc(n).healthcheck?.test?.[0], `${n} healthcheck`).toBe("CMD");
    }
  });

  it("every file or folder mounted from ./deploy exists, and named volumes are declared", () => {
    for (const n of names) {
      for (const m of deployMounts(n)) {
        expect(m.host.startsWith("deploy/"), `${n}: ${m.host}`).toBe(true);
        expect(existsSync(new URL(m.host, root)), `${n} mounts ${m.host}`).toBe(true);
      }
      for (const v of svc(n).volumes ?? []) {
        if (v.startsWith("./") || v.startsWith("/")) continue;
        expect(Object.keys(compose.volumes ?? {}), `${n}: volume ${v}`).toContain(v.split(":")[0]);
      }
    }
  });

  it("pins every image to a version and publishes no host port twice (the default stack runs beside the scale one)", () => {
    for (const n of names) {
      const image = svc(n).image;
      if (image === undefined) continue;
      expect(image, n).toMatch(/^[a-z0-9./-]+:v?\d[\w.-]*$/);
    }
    const hostPorts = names.flatMap((n) =>
      (svc(n).ports ?? []).map((p) => {
        const parts = p.split(":");
        return parts.length === 3 ? `${parts[0]}:${parts[1]}` : `*:${parts[0]}`;
      }),
    );
    const portOnly = hostPorts.map((p) => p.split(":")[1]);
    expect(new Set(portOnly).size, hostPorts.join(" ")).toBe(portOnly.length);
  });

  it("points every gateway at the Sentinels with the redis+sentinel:// form, under the default profile's key prefix and admin key rule", () => {
    expect(MONITOR, "sentinel monitor line").not.toBeNull();
    const [, masterName, masterHost, masterPort, quorum] = MONITOR as RegExpExecArray;
    expect(masterHost).toBe("redis-primary");
    expect(Number(masterPort)).toBe(6379);
    expect(Number(quorum)).toBe(Math.floor(sentinels.length / 2) + 1);
    const expected = `redis+sentinel://${sentinels.map((s) => `${s}:26379`).join(",")}/${masterName}`;
    expect(expected).toBe("redis+sentinel://sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/mymaster");
    const defaults = svc("gateway").environment as Record<string, string>;
    for (const g of gateways) {
      const env = svc(g).environment as Record<string, string>;
      expect(env["REDIS_URL"], g).toBe(expected);
      expect(env["HOST"], g).toBe("0.0.0.0");
      expect(env["PORT"], g).toBe("8080");
      expect(env["REDIS_KEY_PREFIX"], g).toBe(defaults["REDIS_KEY_PREFIX"]);
      expect(env["ADMIN_JWT_SECRET"], g).toBe(defaults["ADMIN_JWT_SECRET"]);
      expect(env["ADMIN_JWT_SECRET"]).toMatch(/^\$\{ADMIN_JWT_SECRET:\?[^}]*\}$/);
      for (const s of [...sentinels, "redis-primary"]) expect(svc(g).depends_on?.[s]?.condition, `${g} -> ${s}`).toBe("service_healthy");
      expect(svc(g).healthcheck?.test.join(" ")).toContain("http://127.0.0.1:8080/readyz");
    }
  });

  it("runs each Sentinel from a writable copy of deploy/redis/sentinel.conf, announcing its own service name", () => {
    expect(SENTINEL_CONF).toMatch(/^sentinel resolve-hostnames yes$/m);
    expect(SENTINEL_CONF).toMatch(/^sentinel announce-hostnames yes$/m);
    expect(SENTINEL_CONF).toMatch(/^port 26379$/m);
    for (const s of sentinels) {
      const template = containerPathOf(s, "deploy/redis/sentinel.conf");
      expect(template, s).toBeDefined();
      const [sh, flag, script] = svc(s).command as [string, string, string];
      expect([sh, flag]).toEqual(["sh", "-c"]);
      expect(script).toBe(
        `test -f /data/sentinel.conf || cp ${template} /data/sentinel.conf; exec docker-entrypoint.sh redis-server /data/sentinel.conf --sentinel --sentinel announce-ip ${s}`,
      );
      expect(svc(s).healthcheck?.test).toEqual(["CMD", "redis-cli", "-p", "26379", "ping"]);
    }
    for (const n of redisNodes) {
      const cmd = svc(n).command ?? [];
      expect(cmd[cmd.indexOf("--replica-announce-ip") + 1], n).toBe(n);
      expect(cmd.join(" "), n).toContain("--appendonly yes");
    }
  });
});

// ---------------------------------------------------------------- deploy/haproxy/haproxy.cfg

/** HAProxy's config as sections (`backend gateways` -> its lines), comments and blanks dropped. */
function haproxySections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trimEnd();
    if (line.trim() === "") continue;
    if (!/^\s/.test(line)) {
      current = [];
      out.set(line.trim(), current);
    } else if (current !== null) current.push(line.trim().replace(/\s+/g, " "));
  }
  return out;
}

describe("deploy/haproxy/haproxy.cfg", () => {
  const mount = repoPathOf("haproxy", "/usr/local/etc/haproxy/haproxy.cfg");
  const sections = haproxySections(read(mount ?? "deploy/haproxy/haproxy.cfg"));
  const backendName = [...sections.keys()].find((k) => k.startsWith("backend "));
  const backend = sections.get(backendName ?? "") ?? [];

  it("is the file compose mounts where HAProxy reads its config", () => {
    expect(mount).toBe("deploy/haproxy/haproxy.cfg");
  });

  it("sends every request of its frontend to one backend whose servers are exactly the gateway services, on their port", () => {
    const frontends = [...sections.entries()].filter(([k, lines]) => k.startsWith("frontend ") && lines.some((l) => l.startsWith("default_backend ")));
    expect(frontends).toHaveLength(1);
    const [, lines] = frontends[0] as [string, string[]];
    expect(lines).toContain(`default_backend ${(backendName as string).slice("backend ".length)}`);
    // The frontend binds the container port that compose publishes.
    const bind = lines.find((l) => l.startsWith("bind "));
    const port = /:(\d+)$/.exec(bind ?? "")?.[1];
    expect(svc("haproxy").ports?.some((p) => p.endsWith(`:${port}`))).toBe(true);

    const servers = backend.filter((l) => l.startsWith("server ")).map((l) => l.split(" "));
    expect(servers.map((s) => s[1])).toEqual(gateways);
    for (const s of servers) {
      const [host, p] = (s[2] as string).split(":");
      expect(gateways, `server ${s[1]}`).toContain(host);
      expect(p, `server ${s[1]}`).toBe(svc(host as string).environment?.["PORT"]);
    }
  });

  it("health-checks every server with GET /readyz expecting 200, so a draining gateway (503) leaves the rotation", () => {
    expect(backend).toContain("option httpchk");
    expect(backend).toContain("http-check send meth GET uri /readyz");
    expect(backend).toContain("http-check expect status 200");
    const defaults = backend.find((l) => l.startsWith("default-server ")) ?? "";
    for (const s of backend.filter((l) => l.startsWith("server "))) expect(`${defaults} ${s}`.split(" "), s).toContain("check");
    // The gateway's /readyz is the same path compose's healthcheck asks.
    for (const g of gateways) expect(svc(g).healthcheck?.test.join(" ")).toContain("/readyz");
  });

  it("keeps upgraded WebSockets open for hours (timeout tunnel) and retries only GETs on another gateway", () => {
    const defaults = sections.get("defaults") ?? [];
    const tunnel = /^timeout tunnel (\d+)(h|m|s)$/.exec(defaults.find((l) => l.startsWith("timeout tunnel ")) ?? "");
    expect(tunnel).not.toBeNull();
    const seconds = Number(tunnel?.[1]) * { h: 3600, m: 60, s: 1 }[tunnel?.[2] as "h" | "m" | "s"];
    expect(seconds).toBeGreaterThanOrEqual(3600);
    // An admin write answered 503 (outcome_unknown) may have been applied: never replayed.
    if (backend.some((l) => l.startsWith("retry-on "))) expect(backend).toContain("http-request disable-l7-retry unless METH_GET");
  });
});

// ---------------------------------------------------------------- deploy/prometheus/prometheus-scale.yml

interface ScrapeConfig {
  job_name: string;
  metrics_path: string;
  static_configs: Array<{ targets: string[] }>;
  relabel_configs?: Array<{ source_labels?: string[]; regex?: string; target_label?: string; replacement?: string }>;
}

describe("deploy/prometheus/prometheus-scale.yml", () => {
  const mount = repoPathOf("prometheus-scale", "/etc/prometheus/prometheus.yml");
  const config = parse(read(mount ?? "deploy/prometheus/prometheus-scale.yml")) as { scrape_configs: ScrapeConfig[] };

  it("is what the scale profile's Prometheus reads", () => {
    expect(mount).toBe("deploy/prometheus/prometheus-scale.yml");
    expect(svc("prometheus-scale").command).toContain("--config.file=/etc/prometheus/prometheus.yml");
  });

  it("scrapes every gateway on its own /metrics, in one job, each with its service name as the instance label", () => {
    expect(config.scrape_configs).toHaveLength(1);
    const job = config.scrape_configs[0] as ScrapeConfig;
    expect(job.metrics_path).toBe("/metrics");
    const targets = job.static_configs.flatMap((s) => s.targets);
    expect(targets).toEqual(gateways.map((g) => `${g}:${svc(g).environment?.["PORT"]}`));
    // Apply the relabelling as Prometheus does: the regex anchored at both ends, $1 substituted.
    const rule = job.relabel_configs?.find((r) => r.target_label === "instance");
    expect(rule?.source_labels).toEqual(["__address__"]);
    const re = new RegExp(`^(?:${rule?.regex ?? "(.*)"})$`);
    const instances = targets.map((t) => t.replace(re, (rule?.replacement ?? "$1").replace(/\$\{?(\d)\}?/g, "$$$1")));
    expect(instances).toEqual(gateways);
  });
});

// ---------------------------------------------------------------- deploy/grafana

interface Target {
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: { query: string } | string; datasource?: { uid: string } }> };
}

const GRAFANA_PROVISIONING = "/etc/grafana/provisioning";

describe("deploy/grafana: provisioning", () => {
  it("provisions the scale profile's Prometheus as the default data source", () => {
    const file = repoPathOf("grafana", `${GRAFANA_PROVISIONING}/datasources/prometheus.yml`);
    expect(file).toBe("deploy/grafana/provisioning/datasources/prometheus.yml");
    const ds = (parse(read(file as string)) as { datasources: Array<{ uid: string; type: string; url: string; isDefault: boolean }> }).datasources;
    expect(ds).toHaveLength(1);
    const [d] = ds as [{ uid: string; type: string; url: string; isDefault: boolean }];
    expect(d.type).toBe("prometheus");
    expect(d.isDefault).toBe(true);
    const url = new URL(d.url);
    expect(url.hostname).toBe("prometheus-scale");
    // The container port Prometheus listens on (compose publishes it elsewhere on the host).
    expect(svc("prometheus-scale").ports?.some((p) => p.endsWith(`:${url.port}`))).toBe(true);
  });

  it("has a dashboard provider reading the folder the dashboards are mounted on, and Grafana opens the dashboard at home", () => {
    const file = repoPathOf("grafana", `${GRAFANA_PROVISIONING}/dashboards/rtm-auth-gateway.yml`);
    expect(file).toBe("deploy/grafana/provisioning/dashboards/rtm-auth-gateway.yml");
    const providers = (parse(read(file as string)) as { providers: Array<{ type: string; options: { path: string } }> }).providers;
    expect(providers).toHaveLength(1);
    const path = providers[0]?.options.path as string;
    expect(providers[0]?.type).toBe("file");
    expect(repoPathOf("grafana", path)).toBe("deploy/grafana/dashboards");
    const home = svc("grafana").environment?.["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] as string;
    expect(home.startsWith(`${path}/`)).toBe(true);
    expect(statSync(new URL(repoPathOf("grafana", home) as string, root)).isFile()).toBe(true);
  });
});

// ---------------------------------------------------------------- what a real gateway exports

interface Family {
  readonly type: string;
  /** label name -> values seen in the samples. */
  readonly labels: Map<string, Set<string>>;
}

/** Metric families from Prometheus' text format: `# TYPE` lines, then each sample's labels. */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t !== null) out.set(t[1] as string, { type: t[2] as string, labels: new Map() });
  }
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (m === null) throw new Error(`unparsable metrics line: ${line}`);
    const name = m[1] as string;
    const family = out.get(name) ?? out.get(name.replace(/_(bucket|sum|count)$/, ""));
    if (family === undefined) throw new Error(`sample without a # TYPE: ${name}`);
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      const label = l[1] as string;
      let values = family.labels.get(label);
      if (values === undefined) family.labels.set(label, (values = new Set()));
      values.add(l[2] as string);
    }
  }
  return out;
}

/** A series name a query may use for a family: the name, or a histogram's `_bucket`, `_sum`, `_count`. */
function seriesNames(exported: Map<string, Family>): Map<string, { family: string; type: string }> {
  const out = new Map<string, { family: string; type: string }>();
  for (const [name, f] of exported) {
    if (f.type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) out.set(name + s, { family: name, type: "histogram" });
    else if (f.type === "summary") for (const s of ["", "_sum", "_count"]) out.set(name + s, { family: name, type: "summary" });
    else out.set(name, { family: name, type: f.type });
  }
  return out;
}

/** Labels every series gets from Prometheus itself (the scrape job and target). */
const TARGET_LABELS = ["instance", "job"];

// ---------------------------------------------------------------- PromQL, read with Prometheus' grammar

/** A node of the parse tree (Lezer's SyntaxNode, named through the parser this test uses). */
type SyntaxNode = ReturnType<typeof promqlParser.parse>["topNode"];

/** Grafana's variables in the dashboard, replaced by values of their kind before parsing. */
const GRAFANA_VARIABLES: Record<string, string> = { $__rate_interval: "1m", $__interval: "1m", $__range: "1h", $instance: ".*" };

interface Selector {
  readonly name: string;
  readonly matchers: Array<{ label: string; op: string; value: string }>;
  /** Inside a range selector (`x[1m]`). */
  readonly ranged: boolean;
  /** Name of the innermost function call around it, or null. */
  readonly fn: string | null;
}
interface Grouping {
  readonly labels: string[];
  readonly selectors: Selector[];
}
interface Query {
  readonly errors: string[];
  readonly selectors: Selector[];
  readonly groupings: Grouping[];
  /** Each histogram_quantile call: its φ and the selectors and `by` labels inside it. */
  readonly quantiles: Array<{ phi: number; selectors: Selector[]; by: string[] }>;
}

function substituteVariables(expr: string): { text: string; unknown: string[] } {
  const unknown: string[] = [];
  const text = expr.replace(/\$\{?(\w+)\}?/g, (whole: string, name: string) => {
    const v = GRAFANA_VARIABLES[`$${name}`];
    if (v === undefined) unknown.push(whole);
    return v ?? whole;
  });
  return { text, unknown };
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c !== null; c = c.nextSibling) out.push(c);
  return out;
}

function descendants(node: SyntaxNode, type: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const walk = (n: SyntaxNode) => {
    for (const c of children(n)) {
      if (c.type.name === type) out.push(c);
      walk(c);
    }
  };
  walk(node);
  return out;
}

function analyse(expr: string): Query {
  const { text, unknown } = substituteVariables(expr);
  const errors = unknown.map((u) => `unknown Grafana variable ${u}`);
  const tree = promqlParser.parse(text);
  const at = (n: SyntaxNode) => text.slice(n.from, n.to);
  tree.iterate({
    enter(n) {
      if (n.type.isError) errors.push(`syntax error at ${n.from}: ${JSON.stringify(text.slice(Math.max(0, n.from - 20), n.from + 20))}`);
    },
  });
  const selectorOf = (v: SyntaxNode): Selector => {
    const id = children(v).find((c) => c.type.name === "Identifier");
    const matchers = descendants(v, "UnquotedLabelMatcher").map((m) => {
      const parts = children(m);
      const label = at(parts.find((p) => p.type.name === "LabelName") as SyntaxNode);
      const op = at(parts.find((p) => p.type.name === "MatchOp") as SyntaxNode);
      const value = JSON.parse(at(parts.find((p) => p.type.name === "StringLiteral") as SyntaxNode)) as string;
      return { label, op, value };
    });
    if (descendants(v, "QuotedLabelMatcher").length > 0) errors.push(`quoted label matcher in ${at(v)}`);
    if (id === undefined) errors.push(`a selector without a metric name: ${at(v)}`);
    let fn: string | null = null;
    for (let p = v.parent; p !== null; p = p.parent) {
      if (p.type.name === "FunctionCall") {
        fn = at(children(p).find((c) => c.type.name === "FunctionIdentifier") as SyntaxNode);
        break;
      }
    }
    return { name: id === undefined ? "" : at(id), matchers, ranged: v.parent?.type.name === "MatrixSelector", fn };
  };
  const top = tree.topNode;
  const selectors = descendants(top, "VectorSelector").map(selectorOf);
  const groupings = descendants(top, "AggregateExpr").map((a) => {
    const modifier = children(a).find((c) => c.type.name === "AggregateModifier");
    const labels = modifier === undefined ? [] : descendants(modifier, "LabelName").map(at);
    return { labels, selectors: descendants(a, "VectorSelector").map(selectorOf) };
  });
  const quantiles = descendants(top, "FunctionCall")
    .filter((f) => at(children(f)[0] as SyntaxNode) === "histogram_quantile")
    .map((f) => {
      const body = children(f).find((c) => c.type.name === "FunctionCallBody") as SyntaxNode;
      const phi = Number(at(children(body).find((c) => c.type.name === "NumberDurationLiteral") as SyntaxNode));
      const by = descendants(body, "AggregateModifier").flatMap((m) => (at(m).startsWith("by") ? descendants(m, "LabelName").map(at) : []));
      return { phi, selectors: descendants(body, "VectorSelector").map(selectorOf), by };
    });
  return { errors, selectors, groupings, quantiles };
}

/** Functions that read a counter (or a histogram's buckets) the way Prometheus means them to be read. */
const COUNTER_FUNCTIONS = ["rate", "irate", "increase"];

describe("deploy/grafana/dashboards/rtm-auth-gateway.json against a running gateway's /metrics", () => {
  const home = svc("grafana").environment?.["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] as string;
  const dashboardPath = repoPathOf("grafana", home) as string;
  const dashboard = JSON.parse(read(dashboardPath)) as Dashboard;
  const panels = dashboard.panels.filter((p) => p.type !== "row");
  const datasourceUid = (parse(read("deploy/grafana/provisioning/datasources/prometheus.yml")) as { datasources: Array<{ uid: string }> }).datasources[0]?.uid;
  const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t, q: analyse(t.expr) })));

  let gateway: Gateway;
  let exported = new Map<string, Family>();
  let series = new Map<string, { family: string; type: string }>();

  beforeAll(async () => {
    // The composition root as `rtm-auth serve` runs it, with the memory store; the Redis gauge is
    // registered as with REDIS_URL (the gateway adds it whenever it has a Redis to watch).
    gateway = await startGateway({
      config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: true },
      logger: createLogger("silent"),
      redisUp: () => true,
    });
    const appIdProject = DEV_PROJECTS.find((p) => p.mode === "appid")?.appId as string;
    // A shadow target, so that the login below is decided again (rtm_auth_shadow_decisions_total).
    const put = await fetch(`${gateway.httpUrl}/admin/projects/${appIdProject}/shadow`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ target: "token_only" }),
    });
    expect(put.status).toBe(200);
    const accepted = createRtmClient({ url: gateway.url, appId: appIdProject, profile: "rtm2" });
    const refused = createRtmClient({ url: gateway.url, appId: "0123456789abcdef0123456789abcdef", profile: "rtm2" });
    try {
      await accepted.login({ uid: "compose-stack-a", token: null });
      await expectRtmError(refused.login({ uid: "compose-stack-b", token: null }), { code: -10003, reason: "unknown_app_id" });
      const res = await fetch(`${gateway.httpUrl}/metrics`);
      expect(res.status).toBe(200);
      exported = families(await res.text());
      series = seriesNames(exported);
    } finally {
      await accepted.close();
      await refused.close();
    }
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it("the gateway exported the series the dashboard is checked against: the Redis gauge, a shadow decision, an accept and a refusal", () => {
    for (const m of [METRICS.redisUp, METRICS.activeSessions, METRICS.openSockets, METRICS.attempts, METRICS.duration, METRICS.shadowDecisions]) {
      expect(exported.has(m.name), m.name).toBe(true);
    }
    expect(exported.get("rtm_auth_shadow_decisions_total")?.labels.get("target")).toEqual(new Set(["token_only"]));
    expect(exported.get("rtm_auth_attempts_total")?.labels.get("result")).toEqual(new Set(["accepted", "refused"]));
  });

  it("is the dashboard the provider loads, every query on the provisioned data source", () => {
    expect(dashboardPath).toBe("deploy/grafana/dashboards/rtm-auth-gateway.json");
    expect(dashboard.uid).toBe("rtm-auth-gateway");
    expect(queries.length).toBeGreaterThan(0);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(datasourceUid);
      expect(p.targets?.length ?? 0, `${p.title} has no query`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(datasourceUid);
    }
    for (const v of dashboard.templating.list) {
      expect(v.datasource?.uid, v.name).toBe(datasourceUid);
      const q = typeof v.query === "string" ? v.query : v.query.query;
      const m = /^label_values\((\w+), (\w+)\)$/.exec(q);
      expect(m, q).not.toBeNull();
      expect(series.has(m?.[1] as string), `variable ${v.name}: ${m?.[1]}`).toBe(true);
      expect(TARGET_LABELS).toContain(m?.[2]);
    }
  });

  it("every query is valid PromQL naming only series the gateway exports", () => {
    for (const { panel, target, q } of queries) {
      const where = `${panel.title}: ${target.expr}`;
      expect(q.errors, where).toEqual([]);
      expect(q.selectors.length, where).toBeGreaterThan(0);
      for (const s of q.selectors) expect(series.has(s.name), `${where}: ${s.name} is not exported`).toBe(true);
    }
  });

  it("every label a query matches, groups by or shows in its legend is one the metric carries, and every = value one the gateway gave", () => {
    const labelsOf = (name: string) => {
      const s = series.get(name);
      const f = s === undefined ? undefined : exported.get(s.family);
      const own = [...(f?.labels.keys() ?? [])].filter((l) => l !== "le" || name.endsWith("_bucket"));
      const declared = Object.values(METRICS).find((m) => m.name === s?.family)?.labelNames ?? [];
      return new Set([...own, ...declared, ...TARGET_LABELS]);
    };
    for (const { panel, target, q } of queries) {
      const where = `${panel.title}: ${target.expr}`;
      for (const s of q.selectors) {
        const allowed = labelsOf(s.name);
        for (const m of s.matchers) {
          expect(allowed.has(m.label), `${where}: ${s.name} has no label ${m.label}`).toBe(true);
          if (m.op !== "=" || TARGET_LABELS.includes(m.label)) continue;
          const seen = exported.get(series.get(s.name)?.family as string)?.labels.get(m.label);
          expect([...(seen ?? [])], `${where}: ${m.label}="${m.value}"`).toContain(m.value);
        }
      }
      for (const g of q.groupings) {
        const allowed = new Set(g.selectors.flatMap((s) => [...labelsOf(s.name)]));
        for (const l of g.labels) expect(allowed.has(l), `${where}: by (${l})`).toBe(true);
      }
      const shown = new Set([...q.selectors.flatMap((s) => [...labelsOf(s.name)])]);
      for (const l of (target.legendFormat ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)) expect(shown.has(l[1] as string), `${where}: legend {{${l[1]}}}`).toBe(true);
    }
  });

  it("reads counters only through rate()/increase(), never gauges that way, and quantiles from _bucket series grouped by le", () => {
    for (const { panel, target, q } of queries) {
      const where = `${panel.title}: ${target.expr}`;
      for (const s of q.selectors) {
        const type = series.get(s.name)?.type;
        const cumulative = type === "counter" || (type === "histogram" && s.name.endsWith("_bucket")) || /_(sum|count)$/.test(s.name);
        if (cumulative) {
          expect(COUNTER_FUNCTIONS, `${where}: ${s.name} (${type}) must be read with rate() or increase()`).toContain(s.fn);
          expect(s.ranged, `${where}: ${s.name} needs a range`).toBe(true);
        } else {
          expect(COUNTER_FUNCTIONS, `${where}: ${s.name} is a ${type}, not a counter`).not.toContain(s.fn);
        }
      }
      for (const hq of q.quantiles) {
        expect(hq.phi, where).toBeGreaterThan(0);
        expect(hq.phi, where).toBeLessThan(1);
        expect(hq.selectors.length, where).toBeGreaterThan(0);
        for (const s of hq.selectors) expect(s.name.endsWith("_bucket") && series.get(s.name)?.type === "histogram", `${where}: ${s.name}`).toBe(true);
        expect(hq.by, `${where}: histogram_quantile over a sum without le`).toContain("le");
      }
      // _bucket series mean nothing outside a quantile.
      if (q.selectors.some((s) => s.name.endsWith("_bucket"))) expect(q.quantiles.length, where).toBeGreaterThan(0);
    }
  });

  it("has the panels the scale profile promises", () => {
    const uses = (metric: string, check: (t: { target: Target; q: Query }) => boolean = () => true) =>
      queries.filter(({ target, q }) => q.selectors.some((s) => s.name === metric) && check({ target, q })).map(({ panel }) => panel.title);
    const groupedBy = (label: string) => ({ q }: { q: Query }) => q.groupings.some((g) => g.labels.includes(label));
    const matches = (label: string, value: string) => ({ q }: { q: Query }) => q.selectors.some((s) => s.matchers.some((m) => m.label === label && m.op === "=" && m.value === value));
    const both = (...fs: Array<(t: { target: Target; q: Query }) => boolean>) => (t: { target: Target; q: Query }) => fs.every((f) => f(t));

    // Logins per second by result and by reason.
    expect(uses(METRICS.attempts.name, both(matches("op", "login"), groupedBy("result")))).not.toEqual([]);
    expect(uses(METRICS.attempts.name, both(matches("op", "login"), groupedBy("reason")))).not.toEqual([]);
    // p50 and p99 of the decision time.
    const phis = queries.flatMap(({ q }) => q.quantiles.filter((h) => h.selectors.some((s) => s.name === `${METRICS.duration.name}_bucket`)).map((h) => h.phi));
    expect(phis).toEqual(expect.arrayContaining([0.5, 0.99]));
    for (const m of [METRICS.activeSessions, METRICS.expiryWarnings, METRICS.expiries, METRICS.redisUp, METRICS.rolloutTransitions]) {
      expect(uses(m.name), m.name).not.toEqual([]);
    }
    expect(uses(METRICS.cacheEvents.name, groupedBy("event"))).not.toEqual([]);
    expect(uses(METRICS.shadowDecisions.name, groupedBy("target"))).not.toEqual([]);
    expect(uses(METRICS.rolloutTransitions.name, groupedBy("cause"))).not.toEqual([]);
  });
});

// ---------------------------------------------------------------- the Redis side, run for real


/** The compose command of a Redis node, with container names and ports swapped for local ones. */
function localArgs(name: string, hosts: Record<string, string>): string[] {
  const cmd = [...(svc(name).command ?? [])];
  expect(cmd[0]).toBe("redis-server");
  const i = cmd.indexOf("--replicaof");
  if (i >= 0) {
    const [host, port] = (hosts[`${cmd[i + 1]}:${cmd[i + 2]}`] as string).split(":");
    cmd[i + 1] = host as string;
    cmd[i + 2] = port as string;
  }
  return cmd.slice(1);
}

const noRedisServer = redisServerUnavailable();

describe.skipIf(noRedisServer !== undefined)(`the scale profile's Redis and Sentinel settings on a real redis-server${noRedisServer === undefined ? "" : ` (skipped: ${noRedisServer})`}`, () => {
  let primary: OwnRedisServer;
  let replica: OwnRedisServer;
  let sentinel: ChildProcess | undefined;
  let sentinelClient: Redis | undefined;
  let dir = "";
  let sentinelPort = 0;
  let sentinelOutput = "";

  beforeAll(async () => {
    // Without the diskless sync's 5 s wait for more replicas (Redis' default; the test has one).
    primary = await startOwnRedisServer([...localArgs("redis-primary", {}), "--repl-diskless-sync-delay", "0"]);
    replica = await startOwnRedisServer(localArgs("redis-replica", { "redis-primary:6379": `127.0.0.1:${primary.port}` }));
    // The Sentinel's own command line, run on a copy of the template as the container makes it.
    dir = mkdtempSync(join(tmpdir(), "rtm-sentinel-"));
    sentinelPort = await freePort();
    const conf = join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      SENTINEL_CONF.replace(/^port 26379$/m, `port ${sentinelPort}\nbind 127.0.0.1\ndir ${dir}`).replace(
        /^sentinel monitor (\S+) redis-primary 6379 /m,
        `sentinel monitor $1 127.0.0.1 ${primary.port} `,
      ),
    );
    const script = (svc("sentinel-1").command as string[])[2] as string;
    const args = (script.split("exec docker-entrypoint.sh ")[1] as string).split(" ");
    expect(args.slice(0, 2)).toEqual(["redis-server", "/data/sentinel.conf"]);
    sentinel = spawn("redis-server", [conf, ...args.slice(2)], { stdio: ["ignore", "pipe", "pipe"] });
    sentinel.stdout?.on("data", (d: Buffer) => (sentinelOutput = (sentinelOutput + d.toString()).slice(-4_000)));
    sentinel.stderr?.on("data", (d: Buffer) => (sentinelOutput = (sentinelOutput + d.toString()).slice(-4_000)));
    sentinelClient = new Redis({ host: "127.0.0.1", port: sentinelPort, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // Refused connections while the Sentinel starts are expected: connect() rejects and is retried below.
    sentinelClient.on("error", () => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (sentinel.exitCode !== null) throw new Error(`the Sentinel exited at start (${sentinel.exitCode}): ${sentinelOutput}`);
      try {
        await sentinelClient.connect();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the Sentinel did not answer within 10 s: ${sentinelOutput}`, { cause: err });
        sentinelClient.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  afterAll(async () => {
    sentinelClient?.disconnect();
    if (sentinel !== undefined && sentinel.exitCode === null) {
      const exited = new Promise((r) => sentinel?.once("exit", r));
      sentinel.kill("SIGKILL");
      await exited;
    }
    await replica?.dispose();
    await primary?.dispose();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("the replica, started with the compose command line, replicates from the primary and is listed by its service name", async () => {
    const client = new Redis(primary.url, { lazyConnect: true });
    try {
      await client.connect();
      const deadline = Date.now() + 10_000;
      let info = "";
      while (Date.now() < deadline) {
        info = await client.info("replication");
        if (/^slave0:.*state=online/m.test(info)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(info).toMatch(/^connected_slaves:1\r?$/m);
      expect(info).toMatch(/^slave0:ip=redis-replica,port=\d+,state=online/m);
      expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    } finally {
      client.disconnect();
    }
  });

  it("the Sentinel, started with the compose command line and the template, monitors the master with quorum 2 and announces names", async () => {
    const c = sentinelClient as Redis;
    const master = (await c.call("SENTINEL", "MASTER", MONITOR?.[1] as string)) as string[];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < master.length; i += 2) fields.set(master[i] as string, master[i + 1] as string);
    expect(fields.get("name")).toBe("mymaster");
    expect(fields.get("port")).toBe(String(primary.port));
    expect(fields.get("quorum")).toBe("2");
    expect(fields.get("down-after-milliseconds")).toBe("5000");
    expect(fields.get("failover-timeout")).toBe("30000");
    expect(fields.get("parallel-syncs")).toBe("1");
    const config = async (key: string) => ((await c.call("SENTINEL", "CONFIG", "GET", key)) as string[])[1];
    expect(await config("resolve-hostnames")).toBe("yes");
    expect(await config("announce-hostnames")).toBe("yes");
    expect(await config("announce-ip")).toBe("sentinel-1");
    // The master answers the Sentinel (not down by its own view).
    const deadline = Date.now() + 10_000;
    let flags = fields.get("flags") ?? "";
    while (Date.now() < deadline && !/^master$/.test(flags)) {
      await new Promise((r) => setTimeout(r, 100));
      const again = (await c.call("SENTINEL", "MASTER", "mymaster")) as string[];
      flags = again[again.indexOf("flags") + 1] as string;
    }
    expect(flags).toBe("master");
  });
});

// ---------------------------------------------------------------- citations in the deploy files

describe("docs citations in docker-compose.yml and deploy/", () => {
  it("every docs/<file>.md, \"Section\" they cite is a heading of that file", () => {
    const files = ["docker-compose.yml", "deploy/haproxy/haproxy.cfg", "deploy/prometheus/prometheus-scale.yml", "deploy/redis/sentinel.conf", dashboardFile()];
    let cited = 0;
    for (const f of files) {
      for (const m of read(f).matchAll(/docs\/([\w-]+)\.md(?:[^"\n]{0,40}?\\?"([^"\\\n]+)\\?")?/g)) {
        const doc = `docs/${m[1]}.md`;
        expect(existsSync(new URL(doc, root)), `${f} cites ${doc}`).toBe(true);
        if (m[2] === undefined) continue;
        const headings = read(doc)
          .split("\n")
          .filter((l) => /^#{1,6} /.test(l))
          .map((l) => l.replace(/^#+\s*/, "").trim().toLowerCase());
        expect(headings, `${f} cites ${doc}, "${m[2]}"`).toContain(m[2].toLowerCase());
        cited++;
      }
    }
    expect(cited).toBeGreaterThan(0);
  });
});

function dashboardFile(): string {
  return repoPathOf("grafana", svc("grafana").environment?.["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] as string) as string;
}
