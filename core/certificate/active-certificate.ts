/** Which certificate of a project signed a token. Reported to metrics and the journal, never to a client. */
export type CertificateSlot = "primary" | "secondary";

/**
 * One certificate a verifier may try. `value` is the 32-character App Certificate, used as
 * ASCII text exactly as the console shows it (never hex-decoded, never case-folded).
 */
export interface ActiveCertificate {
  readonly slot: CertificateSlot;
  readonly value: string;
}
