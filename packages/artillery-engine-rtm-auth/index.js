'use strict';
/**
 * artillery-engine-rtm-auth: an Artillery engine for rtm-auth-gateway. A scenario's flow is made
 * of these steps (each virtual user runs them in order):
 *
 *   - connect: {}          open the WebSocket (target: config.target, or `connect: URL`); optional:
 *                          a login opens one itself (its latency then includes the connect)
 *   - login: { uid, token, ttl, bug, expect }
 *                          token: "007" (default), "006" or "none" (App ID login); ttl: lifetime,
 *                          seconds; bug: expired | wrong_certificate | wrong_uid |
 *                          expiry_as_timestamp (what a broken token server sends); expect: the
 *                          answer asked for, "accept" or a reason (default: accept, or the bug's
 *                          refusal). A refused login ends the user (it has no session).
 *   - renew: { token, ttl, bug, expect }   renewToken with a fresh token for the same uid
 *   - think: N             Artillery's own pause: the session is held
 *   - logout: {}           logout; the gateway closes the socket
 *
 * Metrics, in Artillery's counters and histograms (events.emit('counter' | 'histogram', …)),
 * named after the gateway's own `rtm_auth_attempts_total{op, result, reason}`:
 *
 *   rtm_auth.<op>.attempts, rtm_auth.<op>.accepted, rtm_auth.<op>.refused   op: login, renew, logout
 *   rtm_auth.<op>.refused.<reason>    e.g. rtm_auth.login.refused.invalid_signature
 *   rtm_auth.<op>.codes.<code>        the profile's wire code of each refusal, e.g. rtm_auth.login.codes.5
 *   rtm_auth.<op>.failed.<why>        no answer: login_timeout, renew_timeout, connection_closed, mint
 *   rtm_auth.connect.failed.<why>     ECONNREFUSED, timeout, http_503 (the upgrade's HTTP status) …
 *   rtm_auth.session.ended.<close>    the gateway ended a logged-in session (4501 remote login, 4503 expiry …)
 *   rtm_auth.unexpected               every outcome other than the one the step expected
 *   histograms (ms): rtm_auth.connect.response_time, rtm_auth.login.response_time (every answered
 *   login, accepted or refused), rtm_auth.renew.response_time, rtm_auth.logout.response_time
 *
 * An unexpected outcome fails the virtual user (Artillery's vusers.failed) with the error
 * `rtm_auth:<op>:<reason>` (Artillery's errors.<code> counter); an expected one does not.
 */
const WebSocket = require('ws');
const { RtmAuthConfigError, parseSettings, resolveSettings, parseStep } = require('./lib/config');
const { resolveEntries, loadGateway } = require('./lib/gateway-package');
const { bugReason, mintToken } = require('./lib/tokens');

/** The prefix of every metric of this engine. */
const PREFIX = 'rtm_auth';
/** Reasons only the client SDK produces: no answer came. */
const NO_ANSWER = new Set(['login_timeout', 'renew_timeout', 'connection_closed', 'not_logged_in']);
/** A step's result that ends the user's flow without an error (an expected login refusal). */
const STOP = Symbol('stop');

/** An unexpected outcome: fails the virtual user with `code`. */
class UserError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * The engine Artillery constructs once per worker: `new Engine(script, events, helpers)`.
 * Throws {@link RtmAuthConfigError} for a mistake in config.engines.rtm-auth, and an Error when
 * rtm-auth-gateway is not installed next to it.
 */
class RtmAuthEngine {
  constructor(script, ee, helpers) {
    this.script = script;
    this.helpers = helpers;
    this.settings = parseSettings(script.config && script.config.engines ? script.config.engines['rtm-auth'] : undefined, script.config ? script.config.target : undefined);
    this.entries = resolveEntries();
    this.gateway = null;
  }

  /** rtm-auth-gateway's entries, loaded once. */
  modules() {
    if (this.gateway === null) this.gateway = loadGateway(this.entries);
    return this.gateway;
  }

  /** The function Artillery calls for every virtual user of `spec`: `(context, callback)`. */
  createScenario(spec, ee) {
    const name = spec.name === undefined ? 'a scenario' : `scenario ${JSON.stringify(spec.name)}`;
    if (!Array.isArray(spec.flow) || spec.flow.length === 0) throw new RtmAuthConfigError(`${name}: flow must be a non-empty list of steps`);
    const parsed = spec.flow.map((step, i) => parseStep(step, i));
    for (const [i, step] of parsed.entries()) {
      if (step.options && step.options.bug === 'expired' && this.settings.certificate === undefined) {
        throw new RtmAuthConfigError(`${name}, flow[${i}]: an expired token is minted locally (backdated): give config.engines.rtm-auth.certificate, not only adminUrl`);
      }
    }
    const defaults = (this.script.config.defaults && this.script.config.defaults.think) || {};
    const steps = parsed.map((step) => {
      if (step.kind !== 'think') return (user) => user[step.kind](step.options);
      const think = this.helpers.createThink(step.spec, defaults);
      return (user) => new Promise((resolve) => think(user.context, () => resolve()));
    });
    return (context, callback) => {
      ee.emit('started');
      const user = new VirtualUser(this, context, ee);
      user.run(steps).then(
        () => callback(null, context),
        (err) => {
          ee.emit('error', err instanceof UserError ? err.code : `rtm_auth:${err && err.message ? err.message : String(err)}`);
          callback(err, context);
        },
      );
    };
  }
}

/** One virtual user: a client of the gateway and what it has done so far. */
class VirtualUser {
  constructor(engine, context, ee) {
    this.engine = engine;
    this.context = context;
    this.ee = ee;
    this.settings = null;
    this.gateway = null;
    this.socket = null;
    this.client = null;
    this.uid = null;
    this.version = '007';
    this.loggedIn = false;
    /** The close code with which the gateway ended the session, or null. */
    this.endedBy = null;
    this.closing = false;
  }

  count(name, n = 1) {
    this.ee.emit('counter', `${PREFIX}.${name}`, n);
  }

  histogram(name, ms) {
    this.ee.emit('histogram', `${PREFIX}.${name}`, Math.round(ms * 1000) / 1000);
  }

  fill(value) {
    return this.engine.helpers.template(value, this.context);
  }

  /** Counts an unexpected outcome and returns the error that fails the user. */
  unexpected(op, reason, message) {
    this.count('unexpected');
    return new UserError(`rtm_auth:${op}:${reason}`, message);
  }

  async run(steps) {
    this.settings = resolveSettings(this.engine.settings, (v) => this.fill(v));
    this.gateway = await this.engine.modules();
    try {
      for (const step of steps) if ((await step(this)) === STOP) break;
    } finally {
      await this.end();
    }
  }

  /** The SDK client, over `socket` when the connect step opened one. */
  ensureClient(target) {
    if (this.client !== null) return this.client;
    const socket = this.socket;
    const s = this.settings;
    this.client = this.gateway.createRtmClient({
      url: target,
      appId: s.appId,
      profile: s.profile,
      loginTimeoutMs: s.timeout * 1000,
      renewTimeoutMs: s.timeout * 1000,
      ...(socket === null ? {} : { WebSocketImpl: class { constructor() { return socket; } } }),
    });
    this.client.on('closed', (e) => {
      if (this.loggedIn && !this.closing) {
        this.count(`session.ended.${e.code}`);
        this.endedBy = e.code;
      }
      this.loggedIn = false;
    });
    return this.client;
  }

  async connect(options) {
    if (this.socket !== null || this.client !== null) throw this.unexpected('connect', 'already_connected', 'connect: this user is already connected');
    const target = options.target === undefined ? this.settings.target : String(this.fill(options.target));
    const started = performance.now();
    const socket = new WebSocket(target, { perMessageDeflate: false, handshakeTimeout: this.settings.timeout * 1000 });
    // Whatever happens later, an error event must never go unheard.
    socket.on('error', () => {});
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('unexpected-response', (req, res) => {
          res.resume();
          req.destroy();
          reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { why: `http_${res.statusCode}` }));
        });
        socket.once('error', (err) => reject(Object.assign(err, { why: err.code || (/timed out/i.test(err.message) ? 'timeout' : 'error') })));
      });
    } catch (err) {
      this.count(`connect.failed.${err.why}`);
      throw this.unexpected('connect', err.why, `connect: ${err.message}`);
    }
    this.histogram('connect.response_time', performance.now() - started);
    this.socket = socket;
    this.ensureClient(target);
  }

  async login(options) {
    const s = this.settings;
    const version = options.token === undefined ? '007' : options.token;
    const ttl = options.ttl === undefined ? s.tokenTtl : Number(options.ttl);
    const uid = options.uid === undefined ? `art-${this.context._uid || Math.random().toString(36).slice(2)}` : String(this.fill(options.uid));
    const expected = options.expect !== undefined ? options.expect : version === 'none' ? 'accept' : (bugReason(options.bug, version) ?? 'accept');
    this.uid = uid;
    this.version = version === 'none' ? '007' : version;
    let token;
    try {
      token = await mintToken(this.gateway, s, { version, ttl, bug: options.bug, uid });
    } catch (err) {
      this.count('login.failed.mint');
      throw this.unexpected('login', 'mint', `login: the token could not be minted: ${err.message}`);
    }
    const client = this.ensureClient(s.target);
    this.count('login.attempts');
    const started = performance.now();
    try {
      await client.login({ uid, token });
    } catch (err) {
      return this.refusal('login', err, started, expected, () => STOP);
    }
    this.histogram('login.response_time', performance.now() - started);
    this.count('login.accepted');
    this.loggedIn = true;
    if (expected !== 'accept') throw this.unexpected('login', 'accepted', `login: accepted, expected ${expected}`);
    return undefined;
  }

  async renew(options) {
    const s = this.settings;
    const version = options.token === undefined ? this.version : options.token;
    const ttl = options.ttl === undefined ? s.tokenTtl : Number(options.ttl);
    const expected = options.expect !== undefined ? options.expect : (bugReason(options.bug, version) ?? 'accept');
    if (this.client === null || this.uid === null) throw this.unexpected('renew', 'not_logged_in', 'renew: no login before it');
    this.checkSession('renew');
    let token;
    try {
      token = await mintToken(this.gateway, s, { version, ttl, bug: options.bug, uid: this.uid });
    } catch (err) {
      this.count('renew.failed.mint');
      throw this.unexpected('renew', 'mint', `renew: the token could not be minted: ${err.message}`);
    }
    this.count('renew.attempts');
    const started = performance.now();
    try {
      await this.client.renewToken(token);
    } catch (err) {
      // An expected renewal refusal leaves the session as it was: the flow goes on.
      return this.refusal('renew', err, started, expected, () => undefined);
    }
    this.histogram('renew.response_time', performance.now() - started);
    this.count('renew.accepted');
    if (expected !== 'accept') throw this.unexpected('renew', 'accepted', `renew: accepted, expected ${expected}`);
    return undefined;
  }

  async logout() {
    if (this.client === null) throw this.unexpected('logout', 'not_logged_in', 'logout: no login before it');
    this.checkSession('logout');
    this.count('logout.attempts');
    this.closing = true;
    const started = performance.now();
    try {
      await this.client.logout();
    } catch (err) {
      return this.refusal('logout', err, started, 'accept', () => undefined);
    }
    this.histogram('logout.response_time', performance.now() - started);
    this.count('logout.accepted');
    this.loggedIn = false;
    return undefined;
  }

  /** Fails a renew or logout whose session the gateway has ended (the SDK would answer locally). */
  checkSession(op) {
    if (this.endedBy === null) return;
    this.count(`${op}.failed.not_logged_in`);
    throw this.unexpected(op, 'not_logged_in', `${op}: the gateway ended the session (close ${this.endedBy})`);
  }

  /**
   * Counts a rejected call: a refusal (reason and wire code, its latency) or no answer, and
   * returns `onExpected()` when it was the answer the step asked for; throws otherwise.
   */
  refusal(op, err, started, expected, onExpected) {
    if (!this.gateway.isRtmError(err)) {
      this.count(`${op}.failed.error`);
      throw this.unexpected(op, 'error', `${op}: ${err && err.message ? err.message : String(err)}`);
    }
    if (NO_ANSWER.has(err.reason)) {
      this.count(`${op}.failed.${err.reason}`);
      throw this.unexpected(op, err.reason, `${op}: ${err.message}`);
    }
    this.histogram(`${op}.response_time`, performance.now() - started);
    this.count(`${op}.refused`);
    this.count(`${op}.refused.${err.reason}`);
    this.count(`${op}.codes.${err.code}`);
    if (err.reason === expected) return onExpected();
    throw this.unexpected(op, err.reason, `${op}: refused ${err.reason} (${err.code} ${err.name})${expected === 'accept' ? '' : `, expected ${expected}`}`);
  }

  /** Closes whatever is still open (bounded by the close handshake's own timeout in the SDK). */
  async end() {
    this.closing = true;
    if (this.client !== null) {
      await this.client.close().catch(() => {});
    } else if (this.socket !== null) {
      this.socket.close(1000);
    }
  }
}

module.exports = RtmAuthEngine;
module.exports.RtmAuthEngine = RtmAuthEngine;
module.exports.RtmAuthConfigError = RtmAuthConfigError;
