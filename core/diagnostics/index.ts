/** The public entry of the diagnostics: hint codes, the hint function, its facts port (docs/hints.md). */
export { HINT_CODES, HINT_SUMMARIES, messageWithHints } from "./hint-codes.js";
export type { Hint, HintCode } from "./hint-codes.js";
export { tokenHints, HINTED_REASONS, TIMESTAMP_LIKE_LIFETIME_SECONDS } from "./token-hints.js";
export type { HintInput } from "./token-hints.js";
export { NO_FACTS, listedHintFacts } from "./hint-facts.js";
export type { DeletedCertificateMatch, HintFacts, ListedFacts, PendingCertificate } from "./hint-facts.js";
export { CertificateHistory, MAX_DELETED, MAX_SNAPSHOTS } from "./certificate-history.js";
export type { CertificateValues } from "./certificate-history.js";
export { isoUtc } from "./iso-time.js";
export { signedWith } from "./signed-with.js";
