import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveTls } from "@porthost/devcert";
import { cleanEnvironment, readConfig } from "@porthost/ports";
import { requireTool, tempDir } from "@porthost/testkit";
import { buildWeb, type WebService } from "@porthost/web";
import { launchChromium } from "./chromium.js";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../../apps/cli/bin/porthost.js", import.meta.url));

interface CertJson {
  readonly caPath: string;
  readonly caFingerprint256: string;
  readonly trust: readonly { client: string; commands: readonly string[] }[];
}

let data: { dir: string; remove: () => Promise<void> };
let report: CertJson;
let web: WebService;
let httpPort: number;
let httpsPort: number;

/** Runs a tool and resolves with its exit code and output, whatever the code. */
async function tool(
  command: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(requireTool(command), [...args], { encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

beforeAll(async () => {
  for (const name of ["curl", "openssl", "certutil", "chromium"]) requireTool(name);
  data = await tempDir("porthost-https-e2e-");
  // The real command makes the CA, as a newcomer's `npx porthost cert` does before anything runs.
  const cert = await run(process.execPath, [CLI, "cert", "--json"], {
    env: cleanEnvironment({ PORTHOST_DATA_DIR: data.dir }),
    encoding: "utf8",
  });
  report = JSON.parse(cert.stdout) as CertJson;
  const config = readConfig({ PORTHOST_DATA_DIR: data.dir }, data.dir);
  web = await buildWeb({ config, port: 0, httpsPort: 0, tls: await resolveTls(config) });
  const [http, https] = await web.listen();
  httpPort = http!.port;
  httpsPort = https!.port;
});

afterAll(async () => {
  await web?.close();
  await data?.remove();
});

describe("https with the dev CA, through real clients that verify the chain", () => {
  it("porthost cert made the CA the web serves: openssl agrees on its fingerprint, the keys are 0600", async () => {
    expect(report.caPath).toBe(path.join(data.dir, "tls", "rootCA.pem"));
    const openssl = await tool("openssl", ["x509", "-in", report.caPath, "-noout", "-fingerprint", "-sha256"]);
    expect(openssl.stdout.trim().split("=")[1]).toBe(report.caFingerprint256);
    for (const key of ["rootCA-key.pem", "key.pem"]) {
      expect(statSync(path.join(data.dir, "tls", key)).mode & 0o777, key).toBe(0o600);
    }
  });

  it("curl --cacert verifies https://localhost and gets /api/whoami with the TLS; without the CA it refuses", async () => {
    const url = `https://localhost:${httpsPort}/api/whoami`;
    const trusted = await tool("curl", ["-sS", "--fail", "--cacert", report.caPath, url]);
    expect(trusted.stderr).toBe("");
    expect(JSON.parse(trusted.stdout)).toMatchObject({
      service: "https",
      server: { port: httpsPort },
      tls: { version: "TLSv1.3", mode: "implicit" },
    });
    // The command porthost cert prints for curl, run as printed (with this test's port).
    const printed = report.trust.find((step) => step.client === "curl")!.commands[0]!.split(" ");
    expect(printed.slice(0, 3)).toEqual(["curl", "--cacert", report.caPath]);
    // Without the CA curl's own store does not know porthost's: exit 60, a certificate problem.
    const untrusted = await tool("curl", ["-sS", url]);
    expect(untrusted.code).toBe(60);
  });

  it("serves the CA at /ca.pem: what curl downloads is the CA file, and it verifies the https port", async () => {
    const file = path.join(data.dir, "downloaded-ca.pem");
    const download = await tool("curl", [
      "-sS",
      "--fail",
      "-D",
      "-",
      "-o",
      file,
      `http://127.0.0.1:${httpPort}/ca.pem`,
    ]);
    expect(download.stdout.toLowerCase()).toContain("content-type: application/x-pem-file");
    expect(readFileSync(file, "utf8")).toBe(readFileSync(report.caPath, "utf8"));
    const verified = await tool("curl", ["-sS", "--fail", "--cacert", file, `https://127.0.0.1:${httpsPort}/ca.pem`]);
    expect(verified.stdout).not.toContain("PRIVATE KEY");
  });

  it("openssl s_client -verify_return_error completes the handshake for localhost", async () => {
    const result = await tool("sh", [
      "-c",
      `openssl s_client -connect 127.0.0.1:${httpsPort} -servername localhost -verify_hostname localhost -verify_return_error -CAfile "$1" </dev/null`,
      "s_client",
      report.caPath,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verify return code: 0 \(ok\)/);
  });

  it("Chromium that trusts the CA through an NSS database loads https://localhost with no certificate error", async () => {
    const home = path.join(data.dir, "home");
    const nssdb = path.join(home, ".pki", "nssdb");
    mkdirSync(nssdb, { recursive: true });
    expect((await tool("certutil", ["-d", `sql:${nssdb}`, "-N", "--empty-password"])).code).toBe(0);
    const added = await tool("certutil", [
      "-d",
      `sql:${nssdb}`,
      "-A",
      "-t",
      "C,,",
      "-n",
      "porthost",
      "-i",
      report.caPath,
    ]);
    expect(added.code, added.stderr).toBe(0);
    const browser = await launchChromium({ home });
    try {
      const page = await browser.newPage();
      const response = await page.goto(`https://localhost:${httpsPort}/`);
      expect(response?.ok()).toBe(true);
      const security = await response!.securityDetails();
      expect(security?.issuer).toContain("porthost");
      expect(security?.protocol).toBe("TLS 1.3");
      const whoami = await page.goto(`https://localhost:${httpsPort}/api/whoami`);
      expect(await whoami!.json()).toMatchObject({ service: "https", tls: { mode: "implicit" } });
    } finally {
      await browser.close();
    }
  });

  it("Chromium without the CA refuses the same page (so the test above can fail)", async () => {
    const home = path.join(data.dir, "home-without-ca");
    mkdirSync(home, { recursive: true });
    const browser = await launchChromium({ home });
    try {
      const page = await browser.newPage();
      await expect(page.goto(`https://localhost:${httpsPort}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await browser.close();
    }
  });
});
