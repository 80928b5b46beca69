/**
 * The credential mix of a load run (`--mix token007:0.8,token006:0.1,appid:0.1`): which share of
 * the virtual users logs in with a 007 token, a 006 token, or the App ID alone (no token).
 */

/** The credentials a virtual user can log in with. */
export const CREDENTIAL_KINDS = ["token007", "token006", "appid"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** One share of the mix. */
export interface MixEntry {
  readonly kind: CredentialKind;
  /** Between 0 and 1; the entries of a mix sum to 1. */
  readonly weight: number;
}

/** A validated mix: entries in the order given, weights summing to 1. */
export type Mix = readonly MixEntry[];

/** The default: every virtual user logs in with a 007 token. */
export const DEFAULT_MIX: Mix = [{ kind: "token007", weight: 1 }];

/** A usage error in a load option, with a message that names the option. */
export class LoadOptionError extends Error {
  override readonly name = "LoadOptionError";
}

const SUM_TOLERANCE = 1e-6;

/**
 * Parses `kind:weight[,kind:weight…]`. A lone `kind` means weight 1. Weights are decimal
 * fractions in [0, 1] and must sum to 1 (a mix that sums to 0.9 is a typo, not a request);
 * a kind may appear once. Throws {@link LoadOptionError}.
 */
export function parseMix(text: string): Mix {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === "")) throw new LoadOptionError(`--mix: empty entry in ${JSON.stringify(text)}`);
  const seen = new Set<string>();
  const out: MixEntry[] = [];
  for (const part of parts) {
    const m = /^([a-z0-9]+)(?::([0-9]*\.?[0-9]+))?$/.exec(part);
    if (m === null) throw new LoadOptionError(`--mix: ${JSON.stringify(part)} is not kind:weight (kinds: ${CREDENTIAL_KINDS.join(", ")})`);
    const kind = m[1]!;
    if (!(CREDENTIAL_KINDS as readonly string[]).includes(kind)) throw new LoadOptionError(`--mix: unknown kind ${JSON.stringify(kind)} (kinds: ${CREDENTIAL_KINDS.join(", ")})`);
    if (seen.has(kind)) throw new LoadOptionError(`--mix: ${kind} appears twice`);
    seen.add(kind);
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    if (!(weight >= 0 && weight <= 1)) throw new LoadOptionError(`--mix: the weight of ${kind} must be between 0 and 1`);
    out.push({ kind: kind as CredentialKind, weight });
  }
  const sum = out.reduce((s, e) => s + e.weight, 0);
  if (Math.abs(sum - 1) > SUM_TOLERANCE) throw new LoadOptionError(`--mix: the weights sum to ${Number(sum.toFixed(6))}, not 1`);
  return out;
}

/** The kind drawn for a uniform random `u` in [0, 1). */
export function drawKind(mix: Mix, u: number): CredentialKind {
  let acc = 0;
  for (const e of mix) {
    acc += e.weight;
    if (u < acc) return e.kind;
  }
  // Rounding left a sliver above the last cumulative weight: the last non-zero kind.
  for (let i = mix.length - 1; i >= 0; i--) if (mix[i]!.weight > 0) return mix[i]!.kind;
  return mix[0]!.kind;
}

/** `token007:0.8,appid:0.2` — the canonical spelling of a mix. */
export function formatMix(mix: Mix): string {
  return mix.map((e) => `${e.kind}:${e.weight}`).join(",");
}
