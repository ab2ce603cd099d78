import { X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "@porthost/testkit";
import type { CertReport } from "../src/commands/cert.js";
import { runCli } from "./run-cli.js";

describe("porthost cert", () => {
  let data: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    data = await tempDir("porthost-cert-");
  });
  afterAll(() => data.remove());

  it("makes the CA on first run and prints its path, fingerprint and how to trust it everywhere", async () => {
    const result = await runCli(["cert"], { PORTHOST_DATA_DIR: data.dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const caPath = path.join(data.dir, "tls", "rootCA.pem");
    const ca = new X509Certificate(readFileSync(caPath));
    expect(result.stdout).toContain(`porthost's development CA: ${caPath}`);
    expect(result.stdout).toContain(`SHA-256 fingerprint: ${ca.fingerprint256}`);
    expect(result.stdout).toContain("http://127.0.0.1:8080/ca.pem");
    for (const command of [
      `curl --cacert ${caPath} https://localhost:8443/api/whoami`,
      `NODE_EXTRA_CA_CERTS=${caPath}`,
      `ssl.create_default_context(cafile='${caPath}')`,
      `SSL_CERT_FILE=${caPath}`,
      `REQUESTS_CA_BUNDLE=${caPath}`,
      `sudo cp ${caPath} /usr/local/share/ca-certificates/porthost-rootCA.crt`,
      "sudo update-ca-certificates",
      `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${caPath}`,
      `certutil -addstore -f Root ${caPath}`,
      `Import-Certificate -FilePath ${caPath} -CertStoreLocation Cert:\\CurrentUser\\Root`,
      `certutil -d sql:"$HOME/.pki/nssdb" -A -t C,, -n "porthost development CA" -i ${caPath}`,
    ]) {
      expect(result.stdout).toContain(command);
    }
    expect(statSync(path.join(data.dir, "tls", "rootCA-key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(data.dir, "tls", "key.pem")).mode & 0o777).toBe(0o600);
  });

  it("--json gives the same CA, its fingerprint and every client's commands; a second run keeps the CA", async () => {
    const first = readFileSync(path.join(data.dir, "tls", "rootCA.pem"), "utf8");
    const result = await runCli(["cert", "--json"], { PORTHOST_DATA_DIR: data.dir, PORTHOST_HTTPS_PORT: "9443" });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as CertReport;
    expect(report).toMatchObject({ source: "dev-ca", caPath: path.join(data.dir, "tls", "rootCA.pem") });
    expect(readFileSync(report.caPath!, "utf8")).toBe(first);
    expect(report.caFingerprint256).toBe(new X509Certificate(first).fingerprint256);
    expect(report.certNames).toEqual(expect.arrayContaining(["DNS:localhost", "DNS:web", "IP Address:127.0.0.1"]));
    expect(report.trust.map((step) => step.client)).toHaveLength(8);
    expect(report.trust[0]!.commands[0]).toContain("https://localhost:9443/");
  });

  it("with PORTHOST_TLS_CERT and _KEY, names the user's certificate and no CA", async () => {
    const certFile = path.join(data.dir, "mine.pem");
    const keyFile = path.join(data.dir, "mine-key.pem");
    writeFileSync(certFile, readFileSync(path.join(data.dir, "tls", "cert.pem")));
    writeFileSync(keyFile, readFileSync(path.join(data.dir, "tls", "key.pem")));
    const env = { PORTHOST_DATA_DIR: data.dir, PORTHOST_TLS_CERT: certFile, PORTHOST_TLS_KEY: keyFile };
    const result = await runCli(["cert"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`porthost serves your certificate: ${certFile}`);
    expect(result.stdout).not.toContain("fingerprint");
  });

  it("refuses with one line when the CA's key is gone, and leaves the CA alone", async () => {
    const { dir, remove } = await tempDir("porthost-cert-broken-");
    try {
      expect((await runCli(["cert"], { PORTHOST_DATA_DIR: dir })).code).toBe(0);
      const ca = readFileSync(path.join(dir, "tls", "rootCA.pem"), "utf8");
      writeFileSync(path.join(dir, "tls", "rootCA-key.pem"), "not a key");
      const result = await runCli(["cert"], { PORTHOST_DATA_DIR: dir });
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toContain("rootCA-key.pem");
      expect(readFileSync(path.join(dir, "tls", "rootCA.pem"), "utf8")).toBe(ca);
    } finally {
      await remove();
    }
  });
});
