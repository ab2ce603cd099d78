import "reflect-metadata";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import * as x509 from "@peculiar/x509";
import { isPortConfigError, readConfig, type Env, type PortConfigError } from "@porthost/ports";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { devCertFiles, LEAF_RENEW_DAYS, LEAF_VALIDITY_DAYS, resolveTls, type ResolvedTls } from "../src/index.js";

const DAY_MS = 86_400_000;
const RESOLVE_MODULE = fileURLToPath(new URL("../src/index.ts", import.meta.url));

let dataDir: string;
const configFor = (env: Env = {}) => readConfig({ PORTHOST_DATA_DIR: dataDir, ...env }, dataDir);

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "porthost-devcert-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<PortConfigError> {
  try {
    await promise;
  } catch (error) {
    if (isPortConfigError(error)) return error;
    throw error;
  }
  throw new Error("resolveTls succeeded");
}

/** A TLS handshake against a server holding the leaf, trusting only the dev CA. */
async function handshake(resolved: ResolvedTls, servername: string, host = "127.0.0.1"): Promise<boolean> {
  const server = tls.createServer({ cert: resolved.cert, key: resolved.key }, (socket) => socket.end());
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  try {
    const socket = tls.connect({ host, port, ca: resolved.ca, servername });
    const [result] = await Promise.race([
      once(socket, "secureConnect").then(() => [socket.authorized] as const),
      once(socket, "error").then(([error]) => [String(error)] as const),
    ]);
    socket.destroy();
    if (result !== true) throw new Error(String(result));
    return result;
  } finally {
    server.close();
  }
}

describe("resolveTls with the dev CA", () => {
  it("makes a P-256 CA (10 years, CA:true, path length 0, keyCertSign) and a leaf it signed", async () => {
    const resolved = await resolveTls(configFor());
    expect(resolved.source).toBe("dev-ca");
    const files = devCertFiles(dataDir);
    expect(resolved.caPath).toBe(files.caCert);
    expect(readFileSync(files.caCert, "utf8")).toBe(resolved.ca);
    expect(readFileSync(files.cert)).toEqual(resolved.cert);
    expect(readFileSync(files.key)).toEqual(resolved.key);

    const ca = new X509Certificate(resolved.ca!);
    const leaf = new X509Certificate(resolved.cert);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(ca.checkIssued(ca) && ca.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth

    const caYears = (Date.parse(ca.validTo) - Date.now()) / (365.25 * DAY_MS);
    expect(caYears).toBeGreaterThan(9.9);
    expect(caYears).toBeLessThanOrEqual(10);
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeLessThanOrEqual(
      (LEAF_VALIDITY_DAYS + 1) * DAY_MS,
    );

    const parsedCa = new x509.X509Certificate(resolved.ca!);
    const constraints = parsedCa.getExtension(x509.BasicConstraintsExtension);
    expect(constraints).toMatchObject({ ca: true, pathLength: 0, critical: true });
    const usages = parsedCa.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    expect(usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
  });

  it("names localhost, loopback and every compose service, and a client trusting the CA verifies it", async () => {
    const resolved = await resolveTls(configFor());
    const leaf = new X509Certificate(resolved.cert);
    for (const host of ["localhost", "web", "smtp", "pop3", "echo"]) expect(leaf.checkHost(host)).toBe(host);
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.checkIP("::1")).toBe("::1");
    expect(leaf.checkHost("example.com")).toBeUndefined();
    expect(await handshake(resolved, "localhost")).toBe(true);
    await expect(handshake(resolved, "example.com")).rejects.toThrow(/altnames|ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it("keeps private keys at 0600, certificates at 0644, in a folder only its owner opens", async () => {
    await resolveTls(configFor());
    const files = devCertFiles(dataDir);
    const mode = (file: string) => statSync(file).mode & 0o777;
    expect(mode(files.caKey)).toBe(0o600);
    expect(mode(files.key)).toBe(0o600);
    expect(mode(files.caCert)).toBe(0o644);
    expect(mode(files.cert)).toBe(0o644);
    expect(mode(files.dir)).toBe(0o700);
  });

  it("reuses the CA and the leaf on the next start", async () => {
    const first = await resolveTls(configFor());
    const second = await resolveTls(configFor());
    expect(second.ca).toBe(first.ca);
    expect(second.cert).toEqual(first.cert);
    expect(second.key).toEqual(first.key);
  });

  it("remakes the leaf, not the CA, when the names change: the bound address and allowed hosts", async () => {
    const first = await resolveTls(configFor());
    const moved = await resolveTls(
      configFor({ PORTHOST_HOST: "127.0.0.2", PORTHOST_HTTP_ALLOWED_HOSTS: "box.example,.lan.example" }),
    );
    expect(moved.ca).toBe(first.ca);
    expect(moved.cert).not.toEqual(first.cert);
    const leaf = new X509Certificate(moved.cert);
    expect(leaf.checkIP("127.0.0.2")).toBe("127.0.0.2");
    for (const host of ["box.example", "lan.example"]) expect(leaf.checkHost(host)).toBe(host);
    expect(leaf.checkHost("pc.lan.example")).toBe("*.lan.example");
    expect(await handshake(moved, "box.example", "127.0.0.2")).toBe(true);

    const wildcard = await resolveTls(configFor({ PORTHOST_HOST: "0.0.0.0" }));
    expect(new X509Certificate(wildcard.cert).checkIP("0.0.0.0")).toBeUndefined();
    expect(new X509Certificate(wildcard.cert).checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  it(`remakes the leaf within ${LEAF_RENEW_DAYS} days of its end, with the same CA and key`, async () => {
    const first = await resolveTls(configFor());
    const validTo = Date.parse(new X509Certificate(first.cert).validTo);
    const early = await resolveTls(configFor(), { now: new Date(validTo - (LEAF_RENEW_DAYS + 1) * DAY_MS) });
    expect(early.cert).toEqual(first.cert);
    const late = new Date(validTo - (LEAF_RENEW_DAYS - 1) * DAY_MS);
    const renewed = await resolveTls(configFor(), { now: late });
    expect(renewed.cert).not.toEqual(first.cert);
    expect(renewed.ca).toBe(first.ca);
    expect(renewed.key).toEqual(first.key);
    const leaf = new X509Certificate(renewed.cert);
    expect(Date.parse(leaf.validTo)).toBeGreaterThan(validTo);
    expect(leaf.checkIssued(new X509Certificate(first.ca!))).toBe(true);
  });

  it("never replaces a CA whose key is missing or unreadable: one line says what to do", async () => {
    const first = await resolveTls(configFor());
    const files = devCertFiles(dataDir);
    unlinkSync(files.caKey);
    const missing = await failure(resolveTls(configFor()));
    expect(missing.code).toBe("PORTHOST_ERR_TLS");
    expect(missing.message).toContain(files.caKey);
    expect(missing.message).toContain("never replaces");
    expect(missing.message).not.toContain("\n");
    expect(readFileSync(files.caCert, "utf8")).toBe(first.ca);

    writeFileSync(files.caKey, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n", { mode: 0o600 });
    const corrupt = await failure(resolveTls(configFor()));
    expect(corrupt.code).toBe("PORTHOST_ERR_TLS");
    expect(corrupt.message).toContain("not a readable P-256 key");
    expect(corrupt.message).not.toContain("\n");
    expect(readFileSync(files.caCert, "utf8")).toBe(first.ca);
  });

  it("converges on one CA when many calls in this process start at once", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => resolveTls(configFor())));
    const ca = readFileSync(devCertFiles(dataDir).caCert, "utf8");
    for (const result of results) {
      expect(result.ca).toBe(ca);
      expect(new X509Certificate(result.cert).checkIssued(new X509Certificate(ca))).toBe(true);
      expect(result.key).toEqual(results[0]!.key);
    }
  });

  it("converges on one CA when several processes start at once on one data dir", async () => {
    const script = `import { resolveTls } from ${JSON.stringify(RESOLVE_MODULE)};
      import { readConfig } from "@porthost/ports";
      const tls = await resolveTls(readConfig({ PORTHOST_DATA_DIR: ${JSON.stringify(dataDir)} }));
      process.stdout.write(JSON.stringify({ ca: tls.ca, cert: tls.cert.toString(), key: tls.key.toString() }));`;
    const runs = Array.from({ length: 4 }, async () => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: path.dirname(RESOLVE_MODULE),
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
      return JSON.parse(output) as { ca: string; cert: string; key: string };
    });
    const results = await Promise.all(runs);
    const files = devCertFiles(dataDir);
    const ca = new X509Certificate(readFileSync(files.caCert));
    const key = readFileSync(files.key, "utf8");
    for (const result of results) {
      expect(result.ca).toBe(readFileSync(files.caCert, "utf8"));
      expect(result.key).toBe(key);
      expect(new X509Certificate(result.cert).checkIssued(ca)).toBe(true);
    }
    expect(new X509Certificate(readFileSync(files.cert)).checkIssued(ca)).toBe(true);
  });
});

describe("resolveTls with a certificate the user brings", () => {
  it("serves PORTHOST_TLS_CERT and PORTHOST_TLS_KEY and makes no CA", async () => {
    const certFile = path.join(dataDir, "mine.pem");
    const keyFile = path.join(dataDir, "mine-key.pem");
    writeFileSync(certFile, "MY CERT");
    writeFileSync(keyFile, "MY KEY");
    const resolved = await resolveTls(configFor({ PORTHOST_TLS_CERT: certFile, PORTHOST_TLS_KEY: keyFile }));
    expect(resolved).toMatchObject({ source: "user", cert: Buffer.from("MY CERT"), key: Buffer.from("MY KEY") });
    expect(resolved.ca).toBeUndefined();
    expect(() => statSync(devCertFiles(dataDir).dir)).toThrow(/ENOENT/);
  });
});
