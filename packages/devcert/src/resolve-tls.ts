import { X509Certificate } from "node:crypto";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PortConfigError, readTlsMaterial, type PorthostConfig, type TlsMaterial } from "@porthost/ports";
import { leafNames } from "./leaf-names.js";
import { CERT_FILE_MODE, createOnce, KEY_FILE_MODE, readIfPresent, replace } from "./pem-files.js";
import { certificateNames, expectedNames, type SubjectNames } from "./cert-names.js";
import { importKeyPem, type KeyPair } from "./key-pair.js";

/** The certificate library, loaded only when something must be made (about 0.3 s of CPU at start-up otherwise). */
const maker = (): Promise<typeof import("./x509.js")> => import("./x509.js");

export interface ResolvedTls extends TlsMaterial {
  /** PORTHOST_TLS_CERT/_KEY win over the dev CA. */
  readonly source: "user" | "dev-ca";
  /** The dev CA's PEM file (dev-ca only). */
  readonly caPath?: string;
  /** The dev CA's PEM text (dev-ca only). */
  readonly ca?: string;
}

export const CA_VALIDITY_DAYS = 3650; // 10 years, as mkcert's CA
export const LEAF_VALIDITY_DAYS = 825; // mkcert's leaf lifetime; Apple platforms refuse longer ones
export const LEAF_RENEW_DAYS = 30; // a leaf with less left than this is remade
const DAY_MS = 86_400_000; // 1 day

/** Where the dev CA and its leaf live: `<data dir>/tls/`, with mkcert's file names for the CA. */
export function devCertFiles(dataDir: string): {
  dir: string;
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
} {
  const dir = path.join(dataDir, "tls");
  return {
    dir,
    caCert: path.join(dir, "rootCA.pem"),
    caKey: path.join(dir, "rootCA-key.pem"),
    cert: path.join(dir, "cert.pem"),
    key: path.join(dir, "key.pem"),
  };
}

export interface ResolveTlsOptions {
  /** The clock, for tests of renewal. */
  readonly now?: Date;
}

/**
 * The certificate and key every TLS port serves: the user's files when PORTHOST_TLS_CERT and
 * PORTHOST_TLS_KEY are set, otherwise a leaf from porthost's dev CA, made on first call and
 * reused afterwards. Several processes may call this at once on one data dir: they converge on
 * one CA. A CA whose key is missing or unreadable stops start-up with one line; it is never
 * replaced behind the user's back, since clients that trust it would stop trusting porthost.
 */
export async function resolveTls(
  config: Pick<PorthostConfig, "dataDir" | "host" | "http" | "tls">,
  options: ResolveTlsOptions = {},
): Promise<ResolvedTls> {
  if (config.tls.files) return { ...readTlsMaterial(config.tls.files), source: "user" };
  const now = options.now ?? new Date();
  const files = devCertFiles(config.dataDir);
  await mkdir(files.dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw tlsError(`${files.dir} cannot be created for the dev CA (${errorCode(error)})`);
  });
  const ca = await loadOrCreateCa(files, now);
  const leaf = await loadOrCreateLeaf(files, ca, leafNames(config), now);
  return {
    cert: Buffer.from(leaf.certPem),
    key: Buffer.from(leaf.keyPem),
    source: "dev-ca",
    caPath: files.caCert,
    ca: ca.certPem,
  };
}

interface DevCa {
  readonly key: KeyPair;
  readonly certPem: string;
  readonly cert: X509Certificate;
}

type Files = ReturnType<typeof devCertFiles>;

async function loadOrCreateCa(files: Files, now: Date): Promise<DevCa> {
  const fix = `porthost never replaces its CA silently (clients that trust it would stop trusting porthost): restore the file, or delete ${files.dir} to make a new CA and trust that one (npx porthost cert)`;
  let keyPem = await readIfPresent(files.caKey);
  let certPem = await readIfPresent(files.caCert);
  if (keyPem === undefined) {
    if (certPem !== undefined) throw tlsError(`the dev CA's key ${files.caKey} is missing; ${fix}`);
    // The key is the CA's identity: whoever links it first wins, the others read theirs.
    keyPem = await createOnce(files.caKey, await (await maker()).newKeyPem(), KEY_FILE_MODE);
    certPem = await readIfPresent(files.caCert);
  }
  let key: KeyPair;
  try {
    key = await importKeyPem(keyPem);
  } catch (error) {
    throw tlsError(`the dev CA's key ${files.caKey} is not a readable P-256 key (${errorMessage(error)}); ${fix}`);
  }
  certPem ??= await createOnce(
    files.caCert,
    await (await maker()).caCertificatePem(key, owner(), CA_VALIDITY_DAYS, now),
    CERT_FILE_MODE,
  );
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw tlsError(`the dev CA's certificate ${files.caCert} cannot be read (${errorMessage(error)}); ${fix}`);
  }
  if (!cert.checkPrivateKey(key.keyObject)) {
    throw tlsError(`the dev CA's certificate ${files.caCert} and key ${files.caKey} do not belong together; ${fix}`);
  }
  if (Date.parse(cert.validTo) <= now.getTime()) {
    throw tlsError(
      `the dev CA ${files.caCert} expired on ${cert.validTo}: delete ${files.dir} to make a new CA and trust that one (npx porthost cert)`,
    );
  }
  return { key, certPem, cert };
}

/**
 * The leaf's key is made once and kept when the leaf is remade, so any leaf the CA signed for
 * it pairs with key.pem: processes that renew at once may each write cert.pem (whole, by
 * rename) and whichever lands last is as good as the others.
 */
async function loadOrCreateLeaf(
  files: Files,
  ca: DevCa,
  names: SubjectNames,
  now: Date,
): Promise<{ certPem: string; keyPem: string }> {
  const keyPem =
    (await readIfPresent(files.key)) ?? (await createOnce(files.key, await (await maker()).newKeyPem(), KEY_FILE_MODE));
  let key: KeyPair;
  try {
    key = await importKeyPem(keyPem);
  } catch (error) {
    throw tlsError(
      `the dev certificate's key ${files.key} is not a readable P-256 key (${errorMessage(error)}): delete it and ${files.cert}, and porthost makes new ones from its CA`,
    );
  }
  const certPem = await readIfPresent(files.cert);
  if (certPem !== undefined && leafStillGood(certPem, ca, key, names, now)) return { certPem, keyPem };
  const notAfter = Math.min(now.getTime() + LEAF_VALIDITY_DAYS * DAY_MS, Date.parse(ca.cert.validTo));
  const fresh = await (await maker()).leafCertificatePem(key, ca, names, new Date(notAfter), now);
  await replace(files.cert, fresh, CERT_FILE_MODE);
  return { certPem: fresh, keyPem };
}

function leafStillGood(certPem: string, ca: DevCa, key: KeyPair, names: SubjectNames, now: Date): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return false;
  }
  const validTo = Date.parse(cert.validTo);
  // A leaf that already lasts as long as its CA cannot be made to last longer.
  const lastsEnough = validTo - LEAF_RENEW_DAYS * DAY_MS > now.getTime() || validTo >= Date.parse(ca.cert.validTo);
  return (
    cert.checkIssued(ca.cert) &&
    cert.verify(ca.cert.publicKey) &&
    cert.checkPrivateKey(key.keyObject) &&
    Date.parse(cert.validFrom) <= now.getTime() &&
    lastsEnough &&
    sameList(certificateNames(certPem), expectedNames(names))
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Who made the CA, in its name as mkcert does (user@host), so two CAs in one trust store can be told apart. */
function owner(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = typeof process.getuid === "function" ? `uid ${process.getuid()}` : "user";
  }
  return `${user}@${os.hostname()}`;
}

function tlsError(message: string): PortConfigError {
  return new PortConfigError("PORTHOST_ERR_TLS", message);
}

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? errorMessage(error);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
