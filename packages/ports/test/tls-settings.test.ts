import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isPortConfigError, readConfig, readTlsMaterial, TLS_DEFAULTS } from "../src/index.js";

describe("tls settings", () => {
  it("uses the dev CA unless the user brings a certificate", () => {
    const config = readConfig({}, "/srv");
    expect(config.tls).toEqual(TLS_DEFAULTS);
    expect(config.tls.files).toBeUndefined();
    expect(Object.isFrozen(config.tls)).toBe(true);
  });

  it("needs both TLS files, resolved against the working directory", () => {
    expect(() => readConfig({ PORTHOST_TLS_CERT: "cert.pem" }, "/srv")).toThrow(
      expect.objectContaining({ variable: "PORTHOST_TLS_KEY" }),
    );
    expect(() => readConfig({ PORTHOST_TLS_KEY: "key.pem" }, "/srv")).toThrow(
      expect.objectContaining({ variable: "PORTHOST_TLS_CERT" }),
    );
    const config = readConfig({ PORTHOST_TLS_CERT: "tls/cert.pem", PORTHOST_TLS_KEY: "/etc/key.pem" }, "/srv");
    expect(config.tls.files).toEqual({ certFile: "/srv/tls/cert.pem", keyFile: "/etc/key.pem" });
  });

  it("reads the TLS files, naming the variable of one that is missing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "porthost-tls-"));
    try {
      const certFile = path.join(dir, "cert.pem");
      writeFileSync(certFile, "CERT");
      const keyFile = path.join(dir, "missing-key.pem");
      let caught: unknown;
      try {
        readTlsMaterial({ certFile, keyFile });
      } catch (error) {
        caught = error;
      }
      expect(isPortConfigError(caught) && caught.variable).toBe("PORTHOST_TLS_KEY");
      expect((caught as Error).message).toContain("ENOENT");
      writeFileSync(keyFile, "KEY");
      expect(readTlsMaterial({ certFile, keyFile }).cert.toString()).toBe("CERT");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
