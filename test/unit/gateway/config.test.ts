import { describe, expect, it } from "vitest";
import { configFromEnv, configSchema, ENV_NAMES, envSources, loadConfig, type ConfigSources, type GatewayConfigInput } from "../../../gateway/config.js";
import { BEHAVIOUR_SWITCHES, FIDELITY_PRESETS, PRESETS, resolveSwitches } from "../../../gateway/fidelity.js";

describe("loadConfig: defaults", () => {
  it("an empty input gives the documented defaults", () => {
    expect(loadConfig()).toEqual({
      port: 8080,
      host: "127.0.0.1",
      maxFrameBytes: 16384,
      maxTokenLength: 2048,
      maxInflatedBytes: 8192,
      loginDeadlineSeconds: 15,
      maxConnections: 20000,
      perIpConnectionsPerSecond: 0,
      httpReserveConnections: 32,
      maxConnectionsPerIp: 0,
      closeTimeoutMs: 2000,
      httpRequestTimeoutSeconds: 10,
      maxBufferedBytes: 65536,
      maxPendingRequests: 32,
      pingsPerSecond: 10,
      drainSeconds: 5,
      rolloutTickMs: 1000,
      callsPerSecond: 2,
      willExpireSeconds: 30,
      maxTokenLifetimeSeconds: 86400,
      fidelity: "documented",
      checkOrder: "spec",
      privilege006: "enforce",
      accept006RtcAsRtm: false,
      uidRefuseLeadingSpace: false,
      uidWeb2Validator: false,
      rtm1LoginSpacingMs: 0,
      devSeed: true,
      journalSize: 10000,
      logLevel: "info",
      certActivationDelaySeconds: 0,
      adminJwtMaxLifetimeSeconds: 86400,
      adminJwtClockSkewSeconds: 30,
      adminJwtAudience: "rtm-auth-admin",
      redisKeyPrefix: "rtm-auth:",
      redisMaxStalenessSeconds: 30,
      redisStartTimeoutSeconds: 10,
    });
    expect(loadConfig()).not.toHaveProperty("redisUrl");
    expect(loadConfig()).not.toHaveProperty("adminJwtSecret");
    expect(loadConfig()).not.toHaveProperty("adminJwksUrl");
    expect(loadConfig({})).toEqual(loadConfig());
  });

  it("the result is frozen", () => {
    const c = loadConfig();
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it("takes given values, coercing numeric strings", () => {
    const c = loadConfig({ port: "0", maxConnections: "2", perIpConnectionsPerSecond: 5, checkOrder: "legacy", privilege006: "ignore", logLevel: "silent" } as GatewayConfigInput);
    expect(c).toMatchObject({ port: 0, maxConnections: 2, perIpConnectionsPerSecond: 5, checkOrder: "legacy", privilege006: "ignore", logLevel: "silent" });
  });

  it("accepts the bounds", () => {
    expect(loadConfig({ port: 65535, maxFrameBytes: 256, maxTokenLength: 3, loginDeadlineSeconds: 0, callsPerSecond: 1 })).toMatchObject({
      port: 65535,
      maxFrameBytes: 256,
      maxTokenLength: 3,
      loginDeadlineSeconds: 0,
      callsPerSecond: 1,
    });
    expect(loadConfig({ maxTokenLength: 2048, maxFrameBytes: 1 << 20 }).maxTokenLength).toBe(2048);
  });
});

describe("loadConfig: booleans", () => {
  const TRUE = [true, "1", "true", "yes", "on"] as const;
  const FALSE = [false, "0", "false", "no", "off"] as const;
  it.each(TRUE.map((v) => [JSON.stringify(v), v] as const))("%s is true", (_l, v) => {
    const c = loadConfig({ devSeed: v, uidRefuseLeadingSpace: v, uidWeb2Validator: v } as GatewayConfigInput);
    expect([c.devSeed, c.uidRefuseLeadingSpace, c.uidWeb2Validator]).toEqual([true, true, true]);
  });
  it.each(FALSE.map((v) => [JSON.stringify(v), v] as const))("%s is false", (_l, v) => {
    const c = loadConfig({ devSeed: v, uidRefuseLeadingSpace: v, uidWeb2Validator: v } as GatewayConfigInput);
    expect([c.devSeed, c.uidRefuseLeadingSpace, c.uidWeb2Validator]).toEqual([false, false, false]);
  });
  it.each(["TRUE", "2", "y", "", "enabled"])("%j is refused", (v) => {
    expect(() => loadConfig({ devSeed: v } as GatewayConfigInput)).toThrow(/devSeed.*must be one of 1, true, yes, on \(on\) or 0, false, no, off \(off\)/);
  });
});

describe("loadConfig: bad values are a TypeError naming the field", () => {
  const BAD: ReadonlyArray<readonly [field: string, value: unknown]> = [
    ["port", -1],
    ["port", 65536],
    ["port", "http"],
    ["port", 80.5],
    ["host", ""],
    ["maxFrameBytes", 255],
    ["maxFrameBytes", (1 << 20) + 1],
    ["maxTokenLength", 2],
    ["maxTokenLength", 2049],
    ["maxInflatedBytes", 100],
    ["loginDeadlineSeconds", -1],
    ["loginDeadlineSeconds", 3601],
    ["maxConnections", 0],
    ["perIpConnectionsPerSecond", -5],
    ["callsPerSecond", 0],
    ["willExpireSeconds", "soon"],
    ["checkOrder", "random"],
    ["privilege006", "warn"],
    ["logLevel", "verbose"],
    ["uidWeb2Validator", "maybe"],
    ["fidelity", "faithful"],
    ["accept006RtcAsRtm", "sometimes"],
    ["rtm1LoginSpacingMs", -1],
    ["rtm1LoginSpacingMs", 10_001],
    ["certActivationDelaySeconds", -1],
    ["certActivationDelaySeconds", "1h"],
  ];
  it.each(BAD)("%s = %j", (field, value) => {
    let error: unknown;
    try {
      loadConfig({ [field]: value } as GatewayConfigInput);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^invalid gateway configuration: /);
    expect((error as Error).message).toContain(`${field}:`);
  });

  it("names every bad field at once", () => {
    expect(() => loadConfig({ port: -1, checkOrder: "x" } as unknown as GatewayConfigInput)).toThrow(/port:.*checkOrder:|checkOrder:.*port:/);
  });

  it("an admin JWT secret shorter than 32 characters is refused, without echoing it", () => {
    const short = "short-secret-value";
    let error: unknown;
    try {
      loadConfig({ adminJwtSecret: short });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain("adminJwtSecret:");
    expect((error as Error).message).not.toContain(short);
  });

  it("an admin JWKS URL must be an http(s) URL", () => {
    expect(() => loadConfig({ adminJwksUrl: "not a url" })).toThrow(/adminJwksUrl:/);
    expect(() => loadConfig({ adminJwksUrl: "file:///etc/passwd" })).toThrow(/adminJwksUrl:/);
  });

  it("ADMIN_JWT_SECRET and ADMIN_JWKS_URL together are contradictory: TypeError", () => {
    const secret = "x".repeat(40);
    let error: unknown;
    try {
      loadConfig({ adminJwtSecret: secret, adminJwksUrl: "https://auth.example/jwks.json" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/adminJwksUrl: set either adminJwtSecret \(ADMIN_JWT_SECRET\) or adminJwksUrl \(ADMIN_JWKS_URL\), not both/);
    expect((error as Error).message).not.toContain(secret);
  });

  it("an unknown field is refused (strict schema)", () => {
    expect(() => loadConfig({ prot: 8080 } as unknown as GatewayConfigInput)).toThrow(TypeError);
    expect(() => loadConfig({ prot: 8080 } as unknown as GatewayConfigInput)).toThrow(/prot/);
  });
});

describe("loadConfig: errors name what the user set (sources)", () => {
  const message = (input: GatewayConfigInput, sources: ConfigSources): string => {
    try {
      loadConfig(input, sources);
    } catch (e) {
      expect(e).toBeInstanceOf(TypeError);
      return (e as Error).message;
    }
    throw new Error("no error");
  };

  it("a short ADMIN_JWT_SECRET from the environment is named by its variable, never echoed", () => {
    const env = { ADMIN_JWT_SECRET: "too-short-secret" };
    const m = message(configFromEnv(env), envSources(env));
    expect(m).toBe("invalid gateway configuration: ADMIN_JWT_SECRET: must be at least 32 characters");
    expect(m).not.toContain("too-short-secret");
    expect(m).not.toContain("adminJwtSecret");
  });

  it("a flag is named as the flag; the environment variable it overrode is not blamed", () => {
    const env = { PORT: "8080", LOG_LEVEL: "loud" };
    const m = message({ ...configFromEnv(env), port: "http" } as GatewayConfigInput, { ...envSources(env), port: "--port" });
    expect(m).toBe('invalid gateway configuration: --port: must be a whole number from 0 to 65535; LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"');
  });

  it("every integer refusal gives the range, whatever was wrong with it", () => {
    for (const bad of ["-3", "80.5", "0x50", "", " ", "1e3", "65536"]) {
      expect(message({ port: bad } as GatewayConfigInput, { port: "PORT" }), bad).toBe("invalid gateway configuration: PORT: must be a whole number from 0 to 65535");
    }
  });

  it("contradictory settings are named as set", () => {
    const env = { ADMIN_JWT_SECRET: "x".repeat(40), ADMIN_JWKS_URL: "https://auth.example/jwks.json" };
    const m = message(configFromEnv(env), envSources(env));
    expect(m).toBe("invalid gateway configuration: ADMIN_JWKS_URL: set either ADMIN_JWT_SECRET or ADMIN_JWKS_URL, not both");
  });

  it("envSources lists exactly the variables that are set (empty ones are unset)", () => {
    expect(envSources({ PORT: "1", HOST: "", DEV_SEED: "0", UNRELATED: "x" })).toEqual({ port: "PORT", devSeed: "DEV_SEED" });
  });
});

describe("configFromEnv", () => {
  it("every config field has one environment variable, and the names are unique", () => {
    const fields = Object.keys(configSchema.shape).sort();
    expect(Object.keys(ENV_NAMES).sort()).toEqual(fields);
    expect(new Set(Object.values(ENV_NAMES)).size).toBe(fields.length);
  });

  it("maps the documented variables onto fields", () => {
    const env = {
      PORT: "9000",
      HOST: "0.0.0.0",
      MAX_FRAME_BYTES: "4096",
      MAX_TOKEN_LENGTH: "1024",
      MAX_INFLATED_BYTES: "4096",
      LOGIN_DEADLINE_SECONDS: "5",
      MAX_CONNECTIONS: "10",
      PER_IP_CONNECTIONS_PER_SECOND: "3",
      CALLS_PER_SECOND: "4",
      WILL_EXPIRE_SECONDS: "60",
      CHECK_ORDER: "legacy",
      PRIVILEGE_006: "ignore",
      ACCEPT_006_RTC_AS_RTM: "1",
      RTM1_LOGIN_SPACING_MS: "250",
      UID_REFUSE_LEADING_SPACE: "1",
      UID_WEB2_VALIDATOR: "true",
      DEV_SEED: "0",
      JOURNAL_SIZE: "0",
      LOG_LEVEL: "debug",
      MAX_BUFFERED_BYTES: "20000",
      PINGS_PER_SECOND: "3",
      CLOSE_TIMEOUT_MS: "500",
      DRAIN_SECONDS: "1",
    };
    const input = configFromEnv(env);
    expect(input).toEqual({
      port: "9000",
      host: "0.0.0.0",
      maxFrameBytes: "4096",
      maxTokenLength: "1024",
      maxInflatedBytes: "4096",
      loginDeadlineSeconds: "5",
      maxConnections: "10",
      perIpConnectionsPerSecond: "3",
      callsPerSecond: "4",
      willExpireSeconds: "60",
      checkOrder: "legacy",
      privilege006: "ignore",
      accept006RtcAsRtm: "1",
      rtm1LoginSpacingMs: "250",
      uidRefuseLeadingSpace: "1",
      uidWeb2Validator: "true",
      devSeed: "0",
      journalSize: "0",
      logLevel: "debug",
      maxBufferedBytes: "20000",
      pingsPerSecond: "3",
      closeTimeoutMs: "500",
      drainSeconds: "1",
    });
    expect(loadConfig(input)).toMatchObject({
      maxBufferedBytes: 20000,
      pingsPerSecond: 3,
      closeTimeoutMs: 500,
      drainSeconds: 1,
    });
    expect(loadConfig(input)).toEqual({
      ...loadConfig(),
      maxBufferedBytes: 20000,
      pingsPerSecond: 3,
      closeTimeoutMs: 500,
      drainSeconds: 1,
      port: 9000,
      host: "0.0.0.0",
      maxFrameBytes: 4096,
      maxTokenLength: 1024,
      maxInflatedBytes: 4096,
      loginDeadlineSeconds: 5,
      maxConnections: 10,
      perIpConnectionsPerSecond: 3,
      callsPerSecond: 4,
      willExpireSeconds: 60,
      checkOrder: "legacy",
      privilege006: "ignore",
      accept006RtcAsRtm: true,
      rtm1LoginSpacingMs: 250,
      uidRefuseLeadingSpace: true,
      uidWeb2Validator: true,
      devSeed: false,
      journalSize: 0,
      logLevel: "debug",
      certActivationDelaySeconds: 0,
      redisKeyPrefix: "rtm-auth:",
      redisMaxStalenessSeconds: 30,
      redisStartTimeoutSeconds: 10,
    });
  });

  it("maps the Redis settings and refuses a URL of another scheme", () => {
    const c = loadConfig(configFromEnv({ REDIS_URL: "redis://127.0.0.1:6379/2", REDIS_KEY_PREFIX: "staging:", REDIS_MAX_STALENESS_SECONDS: "5", REDIS_START_TIMEOUT_SECONDS: "2" }));
    expect([c.redisUrl, c.redisKeyPrefix, c.redisMaxStalenessSeconds, c.redisStartTimeoutSeconds]).toEqual(["redis://127.0.0.1:6379/2", "staging:", 5, 2]);
    expect(() => loadConfig(configFromEnv({ REDIS_START_TIMEOUT_SECONDS: "0" }))).toThrow(/REDIS_START_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ redisUrl: "http://127.0.0.1:6379" })).toThrow(/redisUrl: must start with redis:\/\/ or rediss:\/\/ \(one server\), redis\+cluster:\/\/ .*or be a unix socket path \[REDIS_URL\]/);
    expect(() => loadConfig({ redisKeyPrefix: "bad prefix" })).toThrow(/redisKeyPrefix/);
  });

  it("maps the admin and certificate settings", () => {
    const secret = "s".repeat(32);
    expect(loadConfig(configFromEnv({ ADMIN_JWT_SECRET: secret, CERT_ACTIVATION_DELAY_SECONDS: "3600" }))).toMatchObject({ adminJwtSecret: secret, certActivationDelaySeconds: 3600 });
    expect(loadConfig(configFromEnv({ ADMIN_JWKS_URL: "https://auth.example/jwks.json" })).adminJwksUrl).toBe("https://auth.example/jwks.json");
  });

  it("unset and empty variables are left to the defaults; unrelated variables are ignored", () => {
    expect(configFromEnv({})).toEqual({});
    expect(configFromEnv({ PORT: "", HOME: "/root", PATH: "/bin", port: "1" })).toEqual({});
    expect(loadConfig(configFromEnv({ PORT: "" })).port).toBe(8080);
  });

  it("a bad variable is reported with its field name", () => {
    expect(() => loadConfig(configFromEnv({ MAX_CONNECTIONS: "lots" }))).toThrow(TypeError);
    expect(() => loadConfig(configFromEnv({ MAX_CONNECTIONS: "lots" }))).toThrow(/maxConnections/);
    expect(() => loadConfig(configFromEnv({ DEV_SEED: "perhaps" }))).toThrow(/devSeed/);
  });
});

describe("configFromEnv: values that are not numbers", () => {
  // Regression: Number(" ") is 0, which once silently switched the login deadline off.
  it("a whitespace-only number is refused, not read as 0", () => {
    expect(() => loadConfig(configFromEnv({ LOGIN_DEADLINE_SECONDS: " " }))).toThrow(/loginDeadlineSeconds/);
  });
  it.each(["0x10", "1e3", "true", "12abc"])("%s is refused", (v) => {
    expect(() => loadConfig({ port: v })).toThrow(/invalid gateway configuration: port: /);
  });
});

describe("FIDELITY presets (docs/fidelity.md)", () => {
  it("documented is the default and gives the documented column of the table", () => {
    const c = loadConfig();
    expect(c.fidelity).toBe("documented");
    for (const k of BEHAVIOUR_SWITCHES) expect(c[k]).toBe(PRESETS.documented[k]);
    expect(PRESETS.documented).toEqual({ checkOrder: "spec", privilege006: "enforce", accept006RtcAsRtm: false, uidRefuseLeadingSpace: false, uidWeb2Validator: false, rtm1LoginSpacingMs: 0 });
  });

  it("observed sets every switch together to the observed column", () => {
    const c = loadConfig(configFromEnv({ FIDELITY: "observed" }));
    expect(c.fidelity).toBe("observed");
    expect(Object.fromEntries(BEHAVIOUR_SWITCHES.map((k) => [k, c[k]]))).toEqual({
      checkOrder: "legacy",
      privilege006: "ignore",
      accept006RtcAsRtm: true,
      uidRefuseLeadingSpace: false,
      uidWeb2Validator: true,
      rtm1LoginSpacingMs: 500,
    });
  });

  it("the presets table covers exactly the switches, and every switch has its own environment variable", () => {
    for (const f of FIDELITY_PRESETS) expect(Object.keys(PRESETS[f]).sort()).toEqual([...BEHAVIOUR_SWITCHES].sort());
    const names = BEHAVIOUR_SWITCHES.map((k) => ENV_NAMES[k]);
    expect(names).toEqual(["CHECK_ORDER", "PRIVILEGE_006", "ACCEPT_006_RTC_AS_RTM", "UID_REFUSE_LEADING_SPACE", "UID_WEB2_VALIDATOR", "RTM1_LOGIN_SPACING_MS"]);
  });

  // Each switch given on its own wins over either preset, in both directions.
  const OVERRIDES = [
    ["CHECK_ORDER", "checkOrder", "spec", "legacy"],
    ["PRIVILEGE_006", "privilege006", "enforce", "ignore"],
    ["ACCEPT_006_RTC_AS_RTM", "accept006RtcAsRtm", false, true],
    ["UID_REFUSE_LEADING_SPACE", "uidRefuseLeadingSpace", false, true],
    ["UID_WEB2_VALIDATOR", "uidWeb2Validator", false, true],
    ["RTM1_LOGIN_SPACING_MS", "rtm1LoginSpacingMs", 0, 500],
  ] as const;
  it.each(OVERRIDES)("%s overrides the preset", (env, field, a, b) => {
    const text = (v: unknown) => (typeof v === "boolean" ? (v ? "1" : "0") : String(v));
    for (const fidelity of FIDELITY_PRESETS) {
      for (const v of [a, b]) {
        const c = loadConfig(configFromEnv({ FIDELITY: fidelity, [env]: text(v) }));
        expect(c[field]).toBe(v);
        // The other switches keep the preset's values.
        for (const k of BEHAVIOUR_SWITCHES) if (k !== field) expect(c[k]).toBe(PRESETS[fidelity][k]);
      }
    }
  });

  it("resolveSwitches: undefined means unset (the preset's value)", () => {
    expect(resolveSwitches("observed", { checkOrder: undefined, privilege006: "enforce" })).toEqual({ ...PRESETS.observed, privilege006: "enforce" });
    expect(resolveSwitches("documented")).toEqual(PRESETS.documented);
  });
});

describe("loadConfig: errors name the environment variable a user sets", () => {
  it("a bad value names the field and its variable, and says what is expected", () => {
    expect(() => loadConfig(configFromEnv({ PINGS_PER_SECOND: "abc" }))).toThrow("pingsPerSecond: must be a whole number from 1 to 100000 [PINGS_PER_SECOND]");
    expect(() => loadConfig(configFromEnv({ MAX_BUFFERED_BYTES: "100" }))).toThrow("maxBufferedBytes: must be a whole number from 16384 to 67108864 [MAX_BUFFERED_BYTES]");
    expect(() => loadConfig(configFromEnv({ FIDELITY: "foo" }))).toThrow(/fidelity: .*\[FIDELITY\]/);
  });
});
