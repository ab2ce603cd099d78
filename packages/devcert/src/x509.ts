// Loaded only when a key or certificate must be made (resolve-tls imports it on demand): checking
// existing ones needs only node:crypto.
// tsyringe, which @peculiar/x509 uses inside, needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { SubjectNames } from "./cert-names.js";
import { EC_KEY, type KeyPair } from "./key-pair.js";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000; // 1 day

/** A new ECDSA P-256 key pair (as mkcert makes for its CA and leaves). */
export async function newKeyPem(): Promise<string> {
  const pair = await webcrypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", pair.privateKey);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

/** `now` less an hour, so that a clock a little behind (another container, a VM) accepts a new certificate. */
function notBefore(now: Date): Date {
  return new Date(now.getTime() - 3_600_000);
}

/** The CA: CA:true with path length 0 (it signs leaves, never another CA), keyCertSign. */
export async function caCertificatePem(key: KeyPair, owner: string, days: number, now: Date): Promise<string> {
  const name: x509.JsonName = [{ O: ["porthost development CA"] }, { OU: [owner] }, { CN: [`porthost ${owner}`] }];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore: notBefore(now),
    notAfter: new Date(now.getTime() + days * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: key.publicKey,
    signingKey: key.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
    ],
  });
  return cert.toString("pem") + "\n";
}

/** A server leaf for `names`, signed by the CA: serverAuth only, valid until `notAfter`. */
export async function leafCertificatePem(
  leafKey: KeyPair,
  ca: { readonly key: KeyPair; readonly certPem: string },
  names: SubjectNames,
  notAfter: Date,
  now: Date,
): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ O: ["porthost development certificate"] }, { CN: [names.dns[0] ?? "localhost"] }],
    issuer: caCert.subject,
    notBefore: notBefore(now),
    notAfter,
    signingAlgorithm: SIGNING,
    publicKey: leafKey.publicKey,
    signingKey: ca.key.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: "dns" as const, value })),
        ...names.ip.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.key.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(leafKey.publicKey),
    ],
  });
  return cert.toString("pem") + "\n";
}

/** 16 random bytes with the top bit clear: a positive serial number, as RFC 5280 asks. */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}
