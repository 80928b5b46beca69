/**
 * No container engine runs here, so the compose file is checked by parsing it: each service,
 * its healthcheck and its start order, Redis persistence, and that Prometheus scrapes the
 * gateway's /metrics on the port the gateway listens on.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = new URL("../../", import.meta.url);
// Compose reads YAML merge keys (`<<: *anchor`, used by the scale profile); so does this parse.
const compose = parse(readFileSync(new URL("docker-compose.yml", root), "utf8"), { merge: true }) as {
  services: Record<string, Record<string, unknown>>;
};
// The default profile: the services `docker compose up` starts. The scale profile's services
// (`profiles: ["scale"]`) are checked by test/unit/compose-stack.test.ts.
const services = Object.fromEntries(Object.entries(compose.services).filter(([, s]) => s["profiles"] === undefined));

describe("docker-compose.yml", () => {
  it("has redis, gateway and prometheus, each with a healthcheck", () => {
    expect(Object.keys(services).sort()).toEqual(["gateway", "prometheus", "redis"]);
    for (const [name, s] of Object.entries(services)) {
      const hc = s["healthcheck"] as { test?: string[] } | undefined;
      expect(hc?.test?.[0], `${name} healthcheck`).toBe("CMD");
    }
  });

  it("runs Redis with AOF persistence on a volume", () => {
    const redis = services["redis"] as { command: string[]; volumes: string[] };
    const cmd = redis.command.join(" ");
    expect(cmd).toContain("--appendonly yes");
    expect(redis.volumes.some((v) => v.endsWith(":/data"))).toBe(true);
  });

  it("builds the gateway from the repo's Dockerfile and points it at the redis service", () => {
    const gw = services["gateway"] as { build: string; environment: Record<string, string>; depends_on: Record<string, { condition: string }>; healthcheck: { test: string[] } };
    expect(gw.build).toBe(".");
    expect(readFileSync(new URL("Dockerfile", root), "utf8")).toMatch(/CMD \["node", "bin\/rtm-auth.js", "serve"\]/);
    expect(gw.environment["REDIS_URL"]).toBe("redis://redis:6379");
    expect(gw.environment["HOST"]).toBe("0.0.0.0");
    expect(gw.depends_on["redis"]?.condition).toBe("service_healthy");
    expect(gw.healthcheck.test.join(" ")).toContain(`/readyz`);
  });

  it("never opens the admin API without a key: ADMIN_JWT_SECRET is required from the user's environment, with no default", () => {
    // Requests from the host reach the container from the Docker network, so loopback-only dev
    // mode would refuse them; the published port makes a keyless admin API reachable by anyone.
    const env = (services["gateway"] as { environment: Record<string, string> }).environment;
    expect(env["ADMIN_JWT_SECRET"]).toMatch(/^\$\{ADMIN_JWT_SECRET:\?[^}]*openssl rand -hex 32[^}]*\}$/);
    expect(env).not.toHaveProperty("ADMIN_JWKS_URL");
    // The README shows the same steps: export the secret, mint with rtm-auth admin-token.
    const readme = readFileSync(new URL("README.md", root), "utf8");
    expect(readme).toContain("export ADMIN_JWT_SECRET=$(openssl rand -hex 32)");
    expect(readme).toContain('-H "authorization: Bearer $(npx rtm-auth admin-token)"');
  });

  it("has Prometheus scrape the gateway's /metrics after the gateway is healthy", () => {
    const prom = services["prometheus"] as { volumes: string[]; depends_on: Record<string, { condition: string }> };
    expect(prom.depends_on["gateway"]?.condition).toBe("service_healthy");
    const mount = prom.volumes.find((v) => v.includes("prometheus.yml")) as string;
    const config = parse(readFileSync(new URL(mount.split(":")[0] as string, root), "utf8")) as {
      scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const gwPort = (services["gateway"] as { environment: Record<string, string> }).environment["PORT"];
    expect(config.scrape_configs[0]?.metrics_path).toBe("/metrics");
    expect(config.scrape_configs[0]?.static_configs[0]?.targets).toEqual([`gateway:${gwPort}`]);
  });
});
