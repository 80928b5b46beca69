'use strict';
/**
 * The engine's settings (`config.engines.rtm-auth` of an Artillery script) and the steps of a
 * scenario's `flow`, checked when Artillery loads the script: a mistake is an
 * {@link RtmAuthConfigError} naming the field, before any virtual user starts.
 *
 * Settings (strings may hold Artillery templates such as `{{ $env.RTM_CERTIFICATE }}`; they are
 * filled in per virtual user and then checked again):
 *   appId        the project's App ID (required)
 *   certificate  32 hex characters: tokens are minted locally with the token builder of
 *                rtm-auth-gateway; or
 *   adminUrl     http(s)://HOST:PORT of a gateway whose admin API mints them (POST /admin/tokens),
 *                with adminToken, a bearer JWT, when that API requires one
 *   profile      "rtm1" (default) or "rtm2": the SDK whose codes and names the gateway answers with
 *   tokenTtl     token lifetime, seconds (default 3600)
 *   timeout      longest wait for a connect or a reply, seconds (default 10)
 *   target       ws://HOST:PORT/rtm; default: the script's config.target
 *
 * Steps: connect, login, renew, logout (with their options below), and Artillery's own think.
 */

const PROFILES = ['rtm1', 'rtm2'];
const TOKEN_KINDS = ['007', '006', 'none'];
/** What a token server may get wrong (the population file's vocabulary: docs/population.md in rtm-auth-gateway). */
const BUGS = ['expiry_as_timestamp', 'wrong_uid', 'expired', 'wrong_certificate'];
const STEPS = ['connect', 'login', 'renew', 'logout', 'think'];
const SETTINGS = ['appId', 'certificate', 'adminUrl', 'adminToken', 'profile', 'tokenTtl', 'timeout', 'target'];
const LOGIN_FIELDS = ['uid', 'token', 'ttl', 'bug', 'expect'];
const RENEW_FIELDS = ['token', 'ttl', 'bug', 'expect'];

/** A mistake in the script: which field and why. */
class RtmAuthConfigError extends Error {
  constructor(message) {
    super(`artillery-engine-rtm-auth: ${message}`);
    this.name = 'RtmAuthConfigError';
  }
}

const isTemplate = (v) => typeof v === 'string' && v.includes('{{');
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownFields(where, value, allowed) {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new RtmAuthConfigError(`${where}: unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')} (known: ${allowed.join(', ')})`);
}

function positiveNumber(where, value, max) {
  if (isTemplate(value)) return value;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > max) throw new RtmAuthConfigError(`${where} must be a number of seconds in (0, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The settings with their defaults; templates are kept as they are (see {@link resolveSettings}).
 * @param {unknown} raw config.engines['rtm-auth']
 * @param {string | undefined} scriptTarget config.target
 */
function parseSettings(raw, scriptTarget) {
  if (raw === undefined || raw === null) raw = {};
  if (!isObject(raw)) throw new RtmAuthConfigError('config.engines.rtm-auth must be an object of settings');
  unknownFields('config.engines.rtm-auth', raw, SETTINGS);
  if (raw.appId === undefined) throw new RtmAuthConfigError('config.engines.rtm-auth.appId is required');
  if ((raw.certificate === undefined) === (raw.adminUrl === undefined)) throw new RtmAuthConfigError('config.engines.rtm-auth: give exactly one of certificate (mint tokens locally) and adminUrl (mint them with the admin API)');
  const settings = {
    appId: raw.appId,
    certificate: raw.certificate,
    adminUrl: raw.adminUrl,
    adminToken: raw.adminToken,
    profile: raw.profile === undefined ? 'rtm1' : raw.profile,
    tokenTtl: raw.tokenTtl === undefined ? 3600 : positiveNumber('config.engines.rtm-auth.tokenTtl', raw.tokenTtl, 0xffffffff),
    timeout: raw.timeout === undefined ? 10 : positiveNumber('config.engines.rtm-auth.timeout', raw.timeout, 600),
    target: raw.target === undefined ? scriptTarget : raw.target,
  };
  if (settings.target === undefined) throw new RtmAuthConfigError('no target: set config.target (or config.engines.rtm-auth.target) to the gateway, e.g. ws://127.0.0.1:8080/rtm');
  return checkResolved(settings, false);
}

/**
 * Checks the values that are not templates (all of them when `complete`).
 * @returns the settings, unchanged
 */
function checkResolved(s, complete) {
  const check = (v) => complete || !isTemplate(v);
  if (check(s.appId) && (typeof s.appId !== 'string' || s.appId.length < 1 || s.appId.length > 64)) throw new RtmAuthConfigError('appId must be a string of 1 to 64 characters');
  if (s.certificate !== undefined && check(s.certificate) && !/^[0-9a-fA-F]{32}$/.test(String(s.certificate))) throw new RtmAuthConfigError('certificate must be 32 hex characters');
  if (s.adminUrl !== undefined && check(s.adminUrl) && !/^https?:\/\/[^/]+/.test(String(s.adminUrl))) throw new RtmAuthConfigError(`adminUrl must be http(s)://HOST:PORT, got ${JSON.stringify(s.adminUrl)}`);
  if (check(s.profile) && !PROFILES.includes(s.profile)) throw new RtmAuthConfigError(`profile must be rtm1 or rtm2, got ${JSON.stringify(s.profile)}`);
  if (check(s.target) && !/^wss?:\/\/[^/]+/.test(String(s.target))) throw new RtmAuthConfigError(`target must be ws://HOST:PORT/PATH, got ${JSON.stringify(s.target)}`);
  if (complete) {
    positiveNumber('tokenTtl', s.tokenTtl, 0xffffffff);
    positiveNumber('timeout', s.timeout, 600);
  }
  return s;
}

/**
 * The settings for one virtual user: every template filled in from its context, then checked.
 * @param settings from {@link parseSettings}
 * @param {(v: unknown) => unknown} fill Artillery's template function bound to the user's context
 */
function resolveSettings(settings, fill) {
  const out = {};
  for (const [k, v] of Object.entries(settings)) out[k] = isTemplate(v) ? fill(v) : v;
  out.tokenTtl = Number(out.tokenTtl);
  out.timeout = Number(out.timeout);
  return checkResolved(out, true);
}

function tokenOptions(where, spec, fields) {
  if (spec === undefined || spec === null) spec = {};
  if (!isObject(spec)) throw new RtmAuthConfigError(`${where} takes an object of options (or nothing)`);
  unknownFields(where, spec, fields);
  if (spec.token !== undefined && !TOKEN_KINDS.includes(String(spec.token))) throw new RtmAuthConfigError(`${where}.token must be one of ${TOKEN_KINDS.join(', ')}, got ${JSON.stringify(spec.token)}`);
  if (spec.bug !== undefined && !BUGS.includes(spec.bug)) throw new RtmAuthConfigError(`${where}.bug must be one of ${BUGS.join(', ')}, got ${JSON.stringify(spec.bug)}`);
  if (spec.bug !== undefined && String(spec.token) === 'none') throw new RtmAuthConfigError(`${where}: a bug needs a token (token: none sends none)`);
  if (spec.ttl !== undefined) positiveNumber(`${where}.ttl`, spec.ttl, 0xffffffff);
  if (spec.expect !== undefined && (typeof spec.expect !== 'string' || !/^[a-z_]+$/.test(spec.expect))) throw new RtmAuthConfigError(`${where}.expect must be "accept" or a reason such as invalid_signature, got ${JSON.stringify(spec.expect)}`);
  return { ...spec, token: spec.token === undefined ? undefined : String(spec.token) };
}

/**
 * One step of a flow: `{ kind, options }`, or `{ kind: "think", spec }` for Artillery's think.
 * @param {unknown} step an element of `flow`
 * @param {number} index its position (for the message)
 */
function parseStep(step, index) {
  const where = `flow[${index}]`;
  if (!isObject(step)) throw new RtmAuthConfigError(`${where} must be an object with one of ${STEPS.join(', ')}`);
  const kinds = Object.keys(step).filter((k) => STEPS.includes(k));
  if (kinds.length !== 1) throw new RtmAuthConfigError(`${where} must have exactly one of ${STEPS.join(', ')} (got ${Object.keys(step).map((k) => JSON.stringify(k)).join(', ') || 'nothing'})`);
  const kind = kinds[0];
  if (kind === 'think') return { kind, spec: step };
  unknownFields(where, step, [kind]);
  const value = step[kind];
  switch (kind) {
    case 'connect':
      if (value !== undefined && value !== null && !isObject(value) && typeof value !== 'string') throw new RtmAuthConfigError(`${where}.connect takes a URL, an object with target, or nothing`);
      if (isObject(value)) unknownFields(`${where}.connect`, value, ['target']);
      return { kind, options: { target: typeof value === 'string' ? value : isObject(value) ? value.target : undefined } };
    case 'login':
      return { kind, options: tokenOptions(`${where}.login`, value, LOGIN_FIELDS) };
    case 'renew': {
      const options = tokenOptions(`${where}.renew`, value, RENEW_FIELDS);
      if (options.token === 'none') throw new RtmAuthConfigError(`${where}.renew.token: a renewal sends a token (006 or 007)`);
      return { kind, options };
    }
    case 'logout':
      if (value !== undefined && value !== null && !(isObject(value) && Object.keys(value).length === 0)) throw new RtmAuthConfigError(`${where}.logout takes no options`);
      return { kind, options: {} };
  }
  throw new RtmAuthConfigError(`${where}: unknown step`);
}

module.exports = { RtmAuthConfigError, parseSettings, resolveSettings, parseStep, BUGS, PROFILES, TOKEN_KINDS };
