import { readFileSync } from "node:fs";
import path from "node:path";
import { envValue, type Env } from "./env-values.js";
import { PortConfigError } from "./errors.js";

export interface TlsFiles {
  /** PEM certificate chain file (PORTHOST_TLS_CERT). */
  readonly certFile: string;
  /** PEM private key file (PORTHOST_TLS_KEY). */
  readonly keyFile: string;
}

export interface TlsSettings {
  /** A certificate the user brings; when unset, porthost's development CA signs one (@porthost/devcert). */
  readonly files: TlsFiles | undefined;
}

/** TLS defaults; each has a `PORTHOST_TLS_*` variable. */
export const TLS_DEFAULTS: TlsSettings = Object.freeze({
  files: undefined, // the dev CA's leaf in <data dir>/tls
});

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** `PORTHOST_TLS_CERT` and `PORTHOST_TLS_KEY`: both or neither. */
export function readTlsFiles(env: Env, cwd: string): TlsFiles | undefined {
  const cert = envValue(env, "PORTHOST_TLS_CERT");
  const key = envValue(env, "PORTHOST_TLS_KEY");
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    const missing = cert === undefined ? "PORTHOST_TLS_CERT" : "PORTHOST_TLS_KEY";
    throw new PortConfigError(
      "PORTHOST_ERR_BAD_VALUE",
      `${missing} is not set: a certificate you bring needs both PORTHOST_TLS_CERT and PORTHOST_TLS_KEY (PEM files); set neither to use porthost's development CA`,
      missing,
    );
  }
  return Object.freeze({ certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key) });
}

export function readTlsSettings(env: Env, cwd: string): TlsSettings {
  return Object.freeze({ files: readTlsFiles(env, cwd) });
}

/** Reads the PEM files, or stops with one line naming the variable whose file is unreadable. */
export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "unreadable";
      throw new PortConfigError("PORTHOST_ERR_BAD_VALUE", `${variable}=${file} cannot be read (${code})`, variable);
    }
  };
  return { cert: read("PORTHOST_TLS_CERT", files.certFile), key: read("PORTHOST_TLS_KEY", files.keyFile) };
}
