/**
 * `RTMBaseError`, the error class of `agora-rtm` 2.x, with the fields its `ErrorInfo` declares
 * (`error`, `reason`, `operation`, `errorCode`) and its constructor's signature; and the conversion
 * of the client SDK's RtmError into it (docs/compat.md, "Error classes").
 */
import type { RtmError } from "../client/rtm-error.js";
import { rtm2ErrorClass } from "./error-classes.js";

/** The fields every 2.x error carries. */
export interface ErrorInfo {
  error: boolean;
  reason: string;
  operation: string;
  errorCode: number;
}

/** The third argument of the {@link RTMBaseError} constructor, when it is an object. */
export interface IErrorInfo {
  code?: number;
  serverCode?: number;
  originalError?: any;
}

/** printf-style `%s %d %i %f %o %O %j` and `%%` in `format`, filled from `values` in order. */
function formatArgs(format: string, values: readonly unknown[]): string {
  let next = 0;
  return format.replace(/%[sdifoOj%]/g, (spec) => {
    if (spec === "%%") return "%";
    if (next >= values.length) return spec;
    const value = values[next++];
    switch (spec) {
      case "%d":
      case "%i":
        return String(spec === "%i" ? Math.trunc(Number(value)) : Number(value));
      case "%f":
        return String(Number(value));
      case "%s":
        return String(value);
      default:
        try {
          return JSON.stringify(value) ?? String(value);
        } catch {
          return String(value);
        }
    }
  });
}

/**
 * A failed 2.x call. `new RTMBaseError(operation, args?, errorInfo?)` as in the SDK: `args` is the
 * reason text, or a printf-style format and its values; `errorInfo` is the code (a number), the
 * error's name (a string), or `{ code, serverCode, originalError }`. `errorCode` is the code (0 when
 * none), `error` is always true, the message is the reason text.
 *
 * Errors from the gateway also carry two fields the SDK does not have: `gatewayReason`, the
 * gateway's stable reason (docs/reasons.md), and `codeName`, the code's `RTM_ERROR_*` name.
 */
export class RTMBaseError extends Error implements ErrorInfo {
  originalError?: Error;
  code?: number;
  serverCode?: number;
  error: boolean;
  reason: string;
  operation: string;
  errorCode: number;
  /** The gateway's (or client SDK's) reason, e.g. `invalid_signature`; absent on errors made otherwise. */
  gatewayReason?: string;
  /** The name of `errorCode`, e.g. `RTM_ERROR_INVALID_TOKEN`; absent on errors made otherwise. */
  codeName?: string;

  constructor(operation: string, args?: string | readonly [string, ...unknown[]], errorInfo?: IErrorInfo | string | number) {
    const reason = typeof args === "string" ? args : Array.isArray(args) && typeof args[0] === "string" ? formatArgs(args[0], args.slice(1)) : "";
    super(reason);
    this.name = "RTMBaseError";
    if (typeof errorInfo === "number") this.code = errorInfo;
    else if (typeof errorInfo === "string") this.name = errorInfo;
    else if (errorInfo !== undefined && errorInfo !== null) {
      if (errorInfo.originalError !== undefined) this.originalError = errorInfo.originalError;
      if (errorInfo.code !== undefined) this.code = errorInfo.code;
      if (errorInfo.serverCode !== undefined) this.serverCode = errorInfo.serverCode;
    }
    this.error = true;
    this.errorCode = this.code ?? 0;
    this.operation = operation ?? "";
    this.reason = reason;
  }
}

/** The client SDK's failure of `operation` (`login`, `logout`, `renewToken`) as the SDK's error. */
export function toRtm2Error(operation: string, error: RtmError): RTMBaseError {
  const converted = new RTMBaseError(operation, error.message, { code: error.code });
  converted.name = rtm2ErrorClass(error);
  converted.gatewayReason = error.reason;
  converted.codeName = error.name;
  return converted;
}
