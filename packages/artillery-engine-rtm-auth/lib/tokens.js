'use strict';
/**
 * The tokens a virtual user sends: minted locally from the App ID and certificate with
 * rtm-auth-gateway's token builder, or by a gateway's admin API (POST /admin/tokens), with one
 * of the token-server bugs of rtm-auth-gateway's client populations (docs/population.md,
 * "Bugs", in rtm-auth-gateway) when a step asks for it, and the answer each one gets.
 */
const { randomBytes, randomInt } = require('node:crypto');

/** How long before its stated expiry an `expired` token expired, seconds. */
const EXPIRED_BY_SECONDS = 60;
/** A 006 token itself lives this long from its issue time (its RTM privilege is the ttl). */
const TOKEN_006_LIFETIME_SECONDS = 86400;

/**
 * The refusal a token with `bug` gets at login on a project that takes tokens, or null (accepted).
 * @param {string | undefined} bug
 * @param {'006' | '007'} version
 */
function bugReason(bug, version) {
  switch (bug) {
    case 'wrong_uid':
      return version === '006' ? 'invalid_signature' : 'uid_mismatch';
    case 'expired':
      return 'token_expired';
    case 'wrong_certificate':
      return 'invalid_signature';
    default:
      return null; // none, or expiry_as_timestamp: the lifetime cap still lets it in
  }
}

/** A certificate that is not `avoid` (32 hex). */
function wrongCertificate(avoid) {
  let c = randomBytes(16).toString('hex');
  if (avoid !== undefined && c === String(avoid).toLowerCase()) c = `${c[0] === '0' ? '1' : '0'}${c.slice(1)}`;
  return c;
}

/**
 * A token for `uid`, or null for an App ID login (`version` "none").
 * @param gateway the loaded rtm-auth-gateway entries
 * @param settings the user's resolved settings
 * @param {{ version: '006' | '007' | 'none', ttl: number, bug?: string, uid: string }} want
 * @returns {Promise<string | null>}
 */
async function mintToken(gateway, settings, want) {
  if (want.version === 'none') return null;
  const now = Math.floor(Date.now() / 1000);
  let uid = want.uid;
  let issueTs = now;
  let expireSeconds = want.ttl;
  let certificate = settings.certificate;
  switch (want.bug) {
    case 'expiry_as_timestamp':
      expireSeconds = now + want.ttl;
      break;
    case 'wrong_uid':
      uid = `${want.uid}-other`;
      break;
    case 'expired':
      issueTs = now - EXPIRED_BY_SECONDS - (want.version === '006' ? TOKEN_006_LIFETIME_SECONDS : want.ttl);
      break;
    case 'wrong_certificate':
      certificate = wrongCertificate(settings.certificate);
      break;
    default:
      break;
  }
  // A wrong certificate is made up here; an `expired` token needs the certificate (parseStep's
  // caller refuses it with adminUrl alone): the admin API issues at its own now.
  if (settings.certificate !== undefined || want.bug === 'wrong_certificate') {
    return gateway.buildRtmToken({ version: want.version, appId: settings.appId, certificate, uid, expireSeconds, issueTs, salt: randomInt(1, 2 ** 32 - 1) });
  }
  const minted = await adminClient(gateway, settings).tokens.mint({ appId: settings.appId, uid, version: want.version, expireSeconds });
  return minted.token;
}

/** One admin client per (URL, bearer), kept: a virtual user should not build its own. */
const ADMIN_CLIENTS = new Map();
/** Most admin clients kept (a script has one or two; templated settings could make more). */
const MAX_ADMIN_CLIENTS = 16;

function adminClient(gateway, settings) {
  const bearer = settings.adminToken === undefined || settings.adminToken === '' ? undefined : String(settings.adminToken);
  const key = `${settings.adminUrl}\n${bearer ?? ''}`;
  let client = ADMIN_CLIENTS.get(key);
  if (client === undefined) {
    client = gateway.createAdminClient(String(settings.adminUrl), bearer === undefined ? {} : { bearer });
    if (ADMIN_CLIENTS.size >= MAX_ADMIN_CLIENTS) ADMIN_CLIENTS.delete(ADMIN_CLIENTS.keys().next().value);
    ADMIN_CLIENTS.set(key, client);
  }
  return client;
}

module.exports = { bugReason, mintToken, EXPIRED_BY_SECONDS };
