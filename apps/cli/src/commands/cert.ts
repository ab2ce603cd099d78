import { X509Certificate } from "node:crypto";
import { devCertFiles, resolveTls } from "@porthost/devcert";
import { clientHost, formatAddress, type PorthostConfig } from "@porthost/ports";
import { findDataDir } from "../data-dir.js";

/** One kind of client and the commands that make it trust porthost's CA. */
export interface TrustStep {
  readonly client: string;
  readonly commands: readonly string[];
  readonly note?: string;
}

export interface CertReport {
  readonly source: "dev-ca" | "user";
  /** The CA to trust (dev-ca only). */
  readonly caPath?: string;
  /** SHA-256 of the CA certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly caFingerprint256?: string;
  readonly caValidTo?: string;
  /** Where the switchboard serves the CA (dev-ca only). */
  readonly caUrl?: string;
  readonly certPath: string;
  readonly certNames: readonly string[];
  readonly certValidTo: string;
  readonly trust: readonly TrustStep[];
}

/** A path as one shell word: bare when it is plain, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function trustSteps(ca: string, httpsUrl: string): TrustStep[] {
  const q = shellWord(ca);
  const nick = '"porthost development CA"';
  return [
    { client: "curl", commands: [`curl --cacert ${q} ${httpsUrl}/api/whoami`] },
    {
      client: "Node.js",
      commands: [`NODE_EXTRA_CA_CERTS=${q} node your-app.js`],
      note: "read once at start; or pass the PEM as the ca option of tls.connect, https.request or nodemailer",
    },
    {
      client: "Python",
      commands: [
        `python3 -c "import ssl, urllib.request; ctx = ssl.create_default_context(cafile='${ca}'); print(urllib.request.urlopen('${httpsUrl}/api/whoami', context=ctx).read().decode())"`,
        `SSL_CERT_FILE=${q} python3 your-app.py`,
        `REQUESTS_CA_BUNDLE=${q} python3 your-app.py`,
      ],
      note: "ssl.create_default_context(cafile=...) in code; SSL_CERT_FILE for ssl, smtplib, poplib and urllib; REQUESTS_CA_BUNDLE for requests",
    },
    {
      client: "Debian / Ubuntu (system store)",
      commands: [`sudo cp ${q} /usr/local/share/ca-certificates/porthost-rootCA.crt`, "sudo update-ca-certificates"],
      note: "the file name must end in .crt; remove it and run update-ca-certificates --fresh to undo",
    },
    {
      client: "macOS (System keychain)",
      commands: [`sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${q}`],
    },
    {
      client: "Windows",
      commands: [
        `certutil -addstore -f Root ${q}`,
        `Import-Certificate -FilePath ${q} -CertStoreLocation Cert:\\CurrentUser\\Root`,
      ],
      note: "certutil from an administrator prompt (machine store), or PowerShell's Import-Certificate for your user",
    },
    {
      client: "Chromium / Chrome on Linux (NSS)",
      commands: [
        `mkdir -p "$HOME/.pki/nssdb" && [ -f "$HOME/.pki/nssdb/cert9.db" ] || certutil -d sql:"$HOME/.pki/nssdb" -N --empty-password`,
        `certutil -d sql:"$HOME/.pki/nssdb" -A -t C,, -n ${nick} -i ${q}`,
      ],
      note: "certutil is in libnss3-tools; restart the browser",
    },
    {
      client: "Firefox (NSS, per profile)",
      commands: [
        `for profile in "$HOME"/.mozilla/firefox/*.default*; do certutil -d sql:"$profile" -A -t C,, -n ${nick} -i ${q}; done`,
      ],
      note: "or Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import",
    },
  ];
}

/** Makes the CA and leaf if they are missing (as a first start does) and says how to trust them. */
export async function certReport(config: PorthostConfig): Promise<CertReport> {
  const resolved = await resolveTls(config);
  const https = config.services.https;
  const httpsUrl = `https://${https.addr.host === clientHost(config.host) ? "localhost" : https.addr.host}:${https.addr.port}`;
  const leaf = new X509Certificate(resolved.cert);
  const certNames = (leaf.subjectAltName ?? "").split(", ").filter((name) => name !== "");
  const certPath = config.tls.files?.certFile ?? devCertFiles(config.dataDir).cert;
  if (resolved.source === "user" || resolved.ca === undefined || resolved.caPath === undefined) {
    return { source: "user", certPath, certNames, certValidTo: leaf.validTo, trust: [] };
  }
  const ca = new X509Certificate(resolved.ca);
  return {
    source: "dev-ca",
    caPath: resolved.caPath,
    caFingerprint256: ca.fingerprint256,
    caValidTo: ca.validTo,
    caUrl: `http://${formatAddress(config.services.http.addr)}/ca.pem`,
    certPath,
    certNames,
    certValidTo: leaf.validTo,
    trust: trustSteps(resolved.caPath, httpsUrl),
  };
}

/**
 * `porthost cert [--json]`, on the data directory the services use (as `porthost mail` finds
 * it), so that run from any folder of the checkout it shows the CA `npm start` made.
 */
export async function certCommand(config: PorthostConfig, json: boolean): Promise<string> {
  const found = await findDataDir(config);
  const report = await certReport({ ...config, dataDir: found.dir });
  if (json) return JSON.stringify(report, null, 2);
  if (report.source === "user") {
    return [
      `porthost serves your certificate: ${report.certPath} (PORTHOST_TLS_CERT), valid until ${report.certValidTo}`,
      `names: ${report.certNames.join(", ")}`,
      "There is no porthost CA to trust: clients trust your certificate's issuer.",
    ].join("\n");
  }
  const lines = [
    `porthost's development CA: ${report.caPath}`,
    `SHA-256 fingerprint: ${report.caFingerprint256}`,
    `valid until ${report.caValidTo}; the switchboard serves it at ${report.caUrl}`,
    `It signs ${report.certPath} (until ${report.certValidTo}) for ${report.certNames.join(", ")}.`,
    "",
    "Trust it once per client. Whoever holds rootCA-key.pem can make certificates those clients accept for any",
    "name: it stays in the data dir, mode 0600; never share it or the data dir's tls folder.",
  ];
  for (const step of report.trust) {
    lines.push("", `${step.client}:`, ...step.commands.map((command) => `  ${command}`));
    if (step.note) lines.push(`  (${step.note})`);
  }
  return lines.join("\n");
}
