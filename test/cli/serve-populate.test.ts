/**
 * `rtm-auth serve --populate FILE`: the projects of the file exist when the gateway is up (the same
 * idempotent setup as `POST /admin/populate`); a bad file is a usage error (exit 2) and nothing
 * starts. Spawned as a user would (dist/, built when missing).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

const BIN = new URL("../../bin/rtm-auth.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "rtm-auth-populate-"));

beforeAll(() => {
  if (!existsSync(new URL("../../dist/gateway/admin/populate.js", import.meta.url))) spawnSync("npm", ["run", "build"], { stdio: "ignore" });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

it("serve --populate FILE sets up the projects before it reports ready", async () => {
  const world = {
    projects: [
      { appId: "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5", mode: "appid" },
      { appId: "b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5", mode: "token", primary: "0123456789abcdef0123456789abcdef" },
    ],
  };
  const server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--json", "--no-dev-seed", "--populate", file("world.json", JSON.stringify(world))], {
    env: { ...process.env, LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const summary = await new Promise<{ http: string; populated: Array<{ appId: string; mode: string }> }>((resolve, reject) => {
      let out = "";
      server.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const line = out.split("\n").find((l) => l.includes('"populated"'));
        if (line !== undefined) resolve(JSON.parse(line));
      });
      server.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
    });
    expect(summary.populated.map((p) => [p.appId, p.mode])).toEqual([
      ["a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5", "appid"],
      ["b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5", "token"],
    ]);
    const res = await fetch(`${summary.http}/admin/projects/b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5`);
    expect(((await res.json()) as { certificates: { primary: { value: string; status: string } } }).certificates.primary).toMatchObject({
      value: "0123456789abcdef0123456789abcdef",
      status: "active",
    });
  } finally {
    server.kill("SIGTERM");
  }
});

it.each([
  ["not JSON", "{", /--populate .*world-bad\.json: /],
  ["a bad project", JSON.stringify({ projects: [{ appId: "nope", mode: "token" }] }), /projects\.0\.appId: must be 32 hexadecimal characters/],
])("a file with %s is a usage error (exit 2)", (_name, content, message) => {
  const r = spawnSync(process.execPath, [BIN, "serve", "--port", "0", "--populate", file("world-bad.json", content)], { encoding: "utf8", timeout: 15_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(message);
});

it("a missing file is a usage error (exit 2)", () => {
  const r = spawnSync(process.execPath, [BIN, "serve", "--port", "0", "--populate", join(dir, "missing.json")], { encoding: "utf8", timeout: 15_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/ENOENT/);
});
