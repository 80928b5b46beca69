/**
 * The error of an SDK call outside login, session and token handling (messaging, channels,
 * attributes, presence, storage, locks, history): the compat modules emulate only what a login flow
 * needs (docs/compat.md, "What is not emulated").
 */

/**
 * A call the compat module does not emulate. `name` is `RtmNotEmulatedError`, `method` the SDK
 * method (e.g. `sendMessageToPeer`, `presence.whoNow`), and the message names both the method and
 * what is emulated. It carries no SDK error code: no real SDK answers like this.
 */
export class RtmNotEmulatedError extends Error {
  override readonly name = "RtmNotEmulatedError";
  /** The SDK method that was called. */
  readonly method: string;

  constructor(sdk: string, method: string) {
    super(
      `${method}() is not emulated by rtm-auth-gateway's ${sdk} compat module: it emulates login, logout, ` +
        `renewToken and their events only (docs/compat.md in rtm-auth-gateway, "What is not emulated")`,
    );
    this.method = method;
  }
}

/** A rejected promise with {@link RtmNotEmulatedError}, for the SDK methods that return a promise. */
export function rejectNotEmulated(sdk: string, method: string): Promise<never> {
  return Promise.reject(new RtmNotEmulatedError(sdk, method));
}
