/**
 * `rtm-auth-gateway/compat/register`: for plain node, `node --import rtm-auth-gateway/compat/register
 * app.mjs` makes every `import` of `agora-rtm-sdk` or `agora-rtm` load the compat module instead
 * (docs/compat.md, "Plain node"). It registers compat/register-hooks.ts with `module.register`
 * (Node 20.6 and later); ESM imports and `import()` are redirected, `require()` is not.
 */
import { register } from "node:module";

register("./register-hooks.js", import.meta.url);
