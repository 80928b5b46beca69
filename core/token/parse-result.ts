/** The outcome of a parse: the token, or the private detail of why it is `malformed`. */
export type ParseResult<T> = { readonly ok: true; readonly token: T } | { readonly ok: false; readonly detail: string };
