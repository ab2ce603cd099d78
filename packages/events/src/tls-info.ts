import type { ConnectionTls, Outcome, TlsMode } from "./connection-event.js";

/** What a TLS socket can say about its session: node:tls's TLSSocket has both. */
export interface TlsSessionInfo {
  getProtocol(): string | null;
  getCipher(): { readonly name: string } | null | undefined;
}

/** The `tls` of a connection event, read from a TLS socket once its handshake is done. */
export function socketTls(socket: TlsSessionInfo, mode: TlsMode): ConnectionTls {
  return { version: socket.getProtocol() ?? "unknown", cipher: socket.getCipher()?.name ?? "unknown", mode };
}

/** The start of every TLS failure's detail, so the switchboard and tests can tell them apart. */
export const TLS_FAILURE_PREFIX = "TLS handshake failed: ";

const NO_HANDSHAKE = "no handshake in time";

/** A failed handshake's outcome: "timeout" when the server gave up waiting (a client that never spoke TLS), else "error". */
export function tlsFailureOutcome(detail: string): Outcome {
  return detail === `${TLS_FAILURE_PREFIX}${NO_HANDSHAKE}` ? "timeout" : "error";
}

interface TlsErrorFields {
  readonly code?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
  /** smtp-server keeps OpenSSL's own message here when it rewrites one. */
  readonly meta?: { readonly message?: unknown };
}

/**
 * A connection event's detail for a TLS handshake that failed, in a few words: OpenSSL's reason
 * ("wrong version number" for a plain-text client on a TLS port, "sslv3 alert certificate unknown"
 * for a client that does not trust the certificate), a timeout, or the client hanging up.
 */
export function tlsFailureDetail(error: unknown): string {
  const e = (typeof error === "object" && error !== null ? error : {}) as TlsErrorFields;
  const message = typeof e.meta?.message === "string" ? e.meta.message : typeof e.message === "string" ? e.message : "";
  let why: string;
  if (typeof e.reason === "string" && e.reason !== "") why = e.reason;
  else if (e.code === "ERR_TLS_HANDSHAKE_TIMEOUT" || /handshake timeout/i.test(message)) why = NO_HANDSHAKE;
  else if (e.code === "ECONNRESET" || /socket closed|socket hang up|disconnected before/i.test(message)) {
    why = "the client closed the connection";
  } else why = /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(message)?.[1] ?? (message || String(error));
  return `${TLS_FAILURE_PREFIX}${why}`;
}
