'use strict';
/**
 * Finds rtm-auth-gateway, whose client SDK, token builder and admin client the engine uses, and
 * loads them. It is looked for next to the engine first (both installed into one node_modules),
 * then from the directory Artillery runs in (the engine linked from a checkout with
 * `npm install PATH`, whose own location has no rtm-auth-gateway). rtm-auth-gateway is an ES
 * module package: it is loaded with a dynamic import, once, when the first virtual user starts.
 */
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const ENTRIES = { client: 'rtm-auth-gateway/client', token: 'rtm-auth-gateway/token', admin: 'rtm-auth-gateway/client/admin' };

/** The entry files, resolved now (a missing package fails the engine's construction, with the fix). */
function resolveEntries() {
  const bases = [require, createRequire(path.join(process.cwd(), 'artillery-script.js'))];
  const out = {};
  for (const [key, spec] of Object.entries(ENTRIES)) {
    let found = null;
    for (const base of bases) {
      try {
        found = base.resolve(spec);
        break;
      } catch {
        // try the next place
      }
    }
    if (found === null) {
      throw new Error(
        `artillery-engine-rtm-auth: cannot find ${spec}: install rtm-auth-gateway next to Artillery and this engine ` +
          '(npm install PATH/TO/rtm-auth-gateway-0.1.0.tgz, the tarball `npm pack` writes in a checkout; see the engine\'s README)',
      );
    }
    out[key] = found;
  }
  return out;
}

/**
 * Loads the three entries.
 * @returns {Promise<{ createRtmClient: Function, isRtmError: Function, buildRtmToken: Function, createAdminClient: Function }>}
 */
async function loadGateway(entries) {
  const [client, token, admin] = await Promise.all([entries.client, entries.token, entries.admin].map((file) => import(pathToFileURL(file).href)));
  return { createRtmClient: client.createRtmClient, isRtmError: client.isRtmError, buildRtmToken: token.buildRtmToken, createAdminClient: admin.createAdminClient };
}

module.exports = { resolveEntries, loadGateway };
