import type { WebError } from "./api-types.js";

/** A failed API call, with the service's own message (its error catalogue's code and words). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

async function parse<T>(response: Response): Promise<T> {
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (body ?? {}) as Partial<WebError>;
    throw new ApiError(response.status, error.message ?? `HTTP ${response.status}`, error.code);
  }
  return body as T;
}

export async function getJson<T>(url: string): Promise<T> {
  return parse<T>(await fetch(url, { headers: { accept: "application/json" } }));
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  return parse<T>(
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

export async function del(url: string): Promise<void> {
  const response = await fetch(url, { method: "DELETE" });
  if (!response.ok) await parse(response);
}

export async function getText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) await parse(response);
  return response.text();
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
