/**
 * REDIS_URL, read into what the gateway connects to (docs/redis.md, "REDIS_URL"):
 *
 * - one server: `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS), or a unix socket
 *   path (`/run/redis.sock`); passed to ioredis as is;
 * - Redis Cluster: `redis+cluster://[user:pass@]host1:port1,host2:port2,…` (seed nodes; the
 *   others are discovered), `rediss+cluster://…` for TLS; no database (a cluster has only 0);
 * - Sentinel: `redis+sentinel://[user:pass@]s1:26379,s2:26379,…/<masterName>[/db]`, with an
 *   optional `?sentinelPassword=…` (and `sentinelUsername=…`) when the Sentinels themselves ask
 *   for one; `rediss+sentinel://…` for TLS to the Sentinels and the data nodes.
 *
 * A host is a name, an IPv4 address or a bracketed IPv6 address; a missing port is 6379 (26379
 * for a Sentinel), a given one is 1-65535. A user always comes with a password (`user:pass@`,
 * `:pass@`), in every form. User and password are percent-decoded. Every refusal is a
 * {@link RedisUrlError} whose message names the problem and never repeats the user, the password
 * or a query value.
 */

/** One `host:port` of a seed or Sentinel list. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export type RedisTarget =
  | { readonly mode: "standalone"; readonly url: string }
  | {
      readonly mode: "cluster";
      readonly nodes: readonly RedisNode[];
      readonly tls: boolean;
      readonly username?: string;
      readonly password?: string;
    }
  | {
      readonly mode: "sentinel";
      readonly sentinels: readonly RedisNode[];
      /** The master name the Sentinels monitor (`SENTINEL MONITOR <name> …`). */
      readonly name: string;
      readonly db: number;
      readonly tls: boolean;
      readonly username?: string;
      readonly password?: string;
      readonly sentinelUsername?: string;
      readonly sentinelPassword?: string;
    };

/** A REDIS_URL that cannot be used; the message never holds a credential. */
export class RedisUrlError extends TypeError {
  /**
   * The message without its leading `REDIS_URL` (`is empty`, `seed node 2 is empty (a stray
   * comma?)`): for a caller that names the setting itself, such as the configuration's
   * `REDIS_URL: …` line.
   */
  get problem(): string {
    return this.message.replace(/^REDIS_URL(: | )/, "");
  }
}

/** Seed or Sentinel entries one URL may list. */
export const MAX_REDIS_NODES = 64;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9._~-]{1,32})?\]$/;
const MASTER_NAME = /^[A-Za-z0-9._~-]{1,128}$/;
const MULTI = /^(rediss?)\+(cluster|sentinel):\/\/(.*)$/s;

/** Reads REDIS_URL. Throws a {@link RedisUrlError} naming what is wrong. */
export function parseRedisUrl(raw: string): RedisTarget {
  if (typeof raw !== "string" || raw.length === 0) throw new RedisUrlError("REDIS_URL is empty");
  if (raw.length > 4_096) throw new RedisUrlError("REDIS_URL is longer than 4096 characters");
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) throw new RedisUrlError("REDIS_URL contains spaces or control characters");
  if (raw.startsWith("/")) return { mode: "standalone", url: raw };
  if (/^rediss?:\/\//.test(raw)) {
    checkStandalone(raw);
    return { mode: "standalone", url: raw };
  }
  const m = MULTI.exec(raw);
  if (m === null) {
    throw new RedisUrlError(
      "REDIS_URL must start with redis:// or rediss:// (one server), redis+cluster:// or rediss+cluster:// (Redis Cluster), redis+sentinel:// or rediss+sentinel:// (Sentinel), or be a unix socket path",
    );
  }
  const tls = m[1] === "rediss";
  const mode = m[2] as "cluster" | "sentinel";
  let rest = m[3]!;
  let query = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (rest.includes("#")) throw new RedisUrlError(`a ${mode} REDIS_URL has no fragment (#…)`);
  const slash = rest.indexOf("/");
  let authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash);
  const at = authority.lastIndexOf("@");
  let credentials: { username?: string; password?: string } = {};
  if (at >= 0) {
    credentials = userInfo(authority.slice(0, at), "REDIS_URL");
    authority = authority.slice(at + 1);
  }
  const defaultPort = mode === "cluster" ? 6379 : 26379;
  const what = mode === "cluster" ? "seed node" : "Sentinel";
  const nodes = nodeList(authority, defaultPort, what);
  const params = queryParams(query, mode === "sentinel" ? ["sentinelPassword", "sentinelUsername"] : []);

  if (mode === "cluster") {
    if (path !== "" && path !== "/" && path !== "/0") throw new RedisUrlError("a Redis Cluster has only database 0: give no /db in a redis+cluster:// URL");
    return { mode, nodes, tls, ...credentials };
  }
  const segments = path.split("/").slice(1);
  if (path === "" || segments[0] === "") throw new RedisUrlError("a redis+sentinel:// URL names the master after the Sentinels: redis+sentinel://s1:26379,s2:26379/<masterName>[/db]");
  if (segments.length > 2 || (segments.length === 2 && segments[1] === "")) throw new RedisUrlError("a redis+sentinel:// URL's path is /<masterName> or /<masterName>/<db>");
  const name = decode(segments[0]!, "the master name");
  if (!MASTER_NAME.test(name)) throw new RedisUrlError("the Sentinel master name is 1-128 characters of A-Z a-z 0-9 . _ ~ -");
  const db = segments.length === 2 ? dbNumber(segments[1]!) : 0;
  return {
    mode,
    sentinels: nodes,
    name,
    db,
    tls,
    ...credentials,
    ...(params.sentinelUsername === undefined ? {} : { sentinelUsername: params.sentinelUsername }),
    ...(params.sentinelPassword === undefined ? {} : { sentinelPassword: params.sentinelPassword }),
  };
}

/** The URL as it may be shown (logs, errors): no user, password or query. */
export function redisUrlForDisplay(raw: string): string {
  if (raw.startsWith("/")) return raw;
  return raw.replace(/^([a-z+]+:\/\/)[^/?#]*@/i, "$1").replace(/[?#].*$/s, "");
}

function checkStandalone(raw: string): void {
  // The port first: the URL parser's refusal of 70000 would not say what is wrong.
  const authority = /^rediss?:\/\/([^/?#]*)/.exec(raw)?.[1] ?? "";
  const hostPart = authority.slice(authority.lastIndexOf("@") + 1);
  const portText = /(?:^[^:[\]]*|\])(?::(\d*))?$/.exec(hostPart)?.[1];
  if (portText !== undefined && portText !== "" && (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535)) {
    throw new RedisUrlError("REDIS_URL: port out of range (1-65535)");
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new RedisUrlError("REDIS_URL is not a valid redis:// URL (for several hosts use redis+cluster:// or redis+sentinel://)");
  }
  if (u.hostname === "") throw new RedisUrlError("REDIS_URL names no host");
  if (u.username !== "" && u.password === "") {
    throw new RedisUrlError("REDIS_URL: give credentials as user:password@ or :password@ (a user without a password is not accepted)");
  }
  const path = u.pathname;
  if (path !== "" && path !== "/") dbNumber(path.slice(1));
}

function userInfo(info: string, what: string): { username?: string; password?: string } {
  const colon = info.indexOf(":");
  if (colon < 0) throw new RedisUrlError(`${what}: give credentials as user:password@ or :password@ (a user without a password is not accepted)`);
  const username = decode(info.slice(0, colon), "the user name");
  const password = decode(info.slice(colon + 1), "the password");
  if (password === "") throw new RedisUrlError(`${what}: the password after ':' is empty`);
  return { ...(username === "" ? {} : { username }), password };
}

function nodeList(authority: string, defaultPort: number, what: string): RedisNode[] {
  if (authority === "") throw new RedisUrlError(`REDIS_URL lists no ${what} (host:port,host:port,…)`);
  const entries = authority.split(",");
  if (entries.length > MAX_REDIS_NODES) throw new RedisUrlError(`REDIS_URL lists more than ${MAX_REDIS_NODES} ${what}s`);
  const nodes: RedisNode[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const node = hostPort(entry, defaultPort, `${what} ${i + 1}`);
    const key = `${node.host}:${node.port}`;
    if (seen.has(key)) throw new RedisUrlError(`REDIS_URL lists ${what} ${key} twice`);
    seen.add(key);
    nodes.push(node);
  }
  return nodes;
}

function hostPort(entry: string, defaultPort: number, what: string): RedisNode {
  if (entry === "") throw new RedisUrlError(`REDIS_URL: ${what} is empty (a stray comma?)`);
  let host: string;
  let portText: string | undefined;
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) throw new RedisUrlError(`REDIS_URL: ${what} has an unclosed [IPv6] address`);
    host = entry.slice(0, close + 1);
    const after = entry.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) throw new RedisUrlError(`REDIS_URL: ${what} has text after its [IPv6] address`);
    portText = after === "" ? undefined : after.slice(1);
    if (!IPV6.test(host)) throw new RedisUrlError(`REDIS_URL: ${what} is not a valid [IPv6] address`);
    host = host.slice(1, -1);
  } else {
    const colon = entry.lastIndexOf(":");
    host = colon < 0 ? entry : entry.slice(0, colon);
    portText = colon < 0 ? undefined : entry.slice(colon + 1);
    if (!HOSTNAME.test(host)) throw new RedisUrlError(`REDIS_URL: ${what} is not a host name or address`);
  }
  if (portText === undefined) return { host, port: defaultPort };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535) throw new RedisUrlError(`REDIS_URL: ${what}: port out of range (1-65535)`);
  return { host, port: Number(portText) };
}

function dbNumber(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) throw new RedisUrlError("REDIS_URL: the database after the last '/' is a number (0, 1, …)");
  return Number(text);
}

function queryParams(query: string, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (query === "") return out;
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!allowed.includes(name)) {
      // The name is not repeated: a password pasted in the wrong place would be.
      throw new RedisUrlError(
        allowed.length === 0 ? "REDIS_URL: this kind of URL takes no ?parameters" : `REDIS_URL: a ?parameter is not understood (known: ${allowed.join(", ")})`,
      );
    }
    if (name in out) throw new RedisUrlError(`REDIS_URL: ${name} is given twice`);
    const value = eq < 0 ? "" : decode(part.slice(eq + 1).replace(/\+/g, " "), name);
    if (value === "") throw new RedisUrlError(`REDIS_URL: ${name} is empty`);
    out[name] = value;
  }
  return out;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError(`REDIS_URL: ${what} has a malformed %-escape`);
  }
}
