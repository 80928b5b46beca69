/**
 * The Node module hooks of `rtm-auth-gateway/compat/register` (docs/compat.md, "Plain node"): an
 * `import` of `agora-rtm-sdk` resolves to `rtm-auth-gateway/compat/agora-rtm-sdk`, and one of
 * `agora-rtm` to `rtm-auth-gateway/compat/agora-rtm`, whoever imports them. Every other specifier
 * is resolved as usual. Loaded by compat/register.ts through `module.register`.
 */
import type { ResolveHook } from "node:module";

/** The SDK package names and the compat module each one resolves to. */
export const REDIRECTS: Readonly<Record<string, string>> = Object.freeze({
  "agora-rtm-sdk": new URL("./agora-rtm-sdk.js", import.meta.url).href,
  "agora-rtm": new URL("./agora-rtm.js", import.meta.url).href,
});

/** Redirects the two SDK names; everything else goes to the next resolver. */
export const resolve: ResolveHook = (specifier, context, nextResolve) => {
  const target = Object.hasOwn(REDIRECTS, specifier) ? REDIRECTS[specifier] : undefined;
  if (target !== undefined) return { url: target, format: "module", shortCircuit: true };
  return nextResolve(specifier, context);
};
