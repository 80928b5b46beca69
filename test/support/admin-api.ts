/** A small fetch wrapper for the admin API in integration tests. */

export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

export interface AdminApi {
  call<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
}

/** An admin client for the gateway at `httpUrl`, sending `bearer` when given. */
export function adminApi(httpUrl: string, bearer?: string): AdminApi {
  return {
    async call(method, path, body, headers = {}) {
      const h: Record<string, string> = { ...headers };
      if (bearer !== undefined && h["authorization"] === undefined) h["authorization"] = `Bearer ${bearer}`;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === "string" ? body : JSON.stringify(body);
        h["content-type"] ??= "application/json";
      }
      const res = await fetch(`${httpUrl}${path}`, { method, headers: h, ...(payload === undefined ? {} : { body: payload }) });
      const text = await res.text();
      let parsed: unknown = null;
      if (text !== "" && (res.headers.get("content-type") ?? "").includes("json")) parsed = JSON.parse(text);
      return { status: res.status, body: parsed as never, text, headers: res.headers };
    },
  };
}
