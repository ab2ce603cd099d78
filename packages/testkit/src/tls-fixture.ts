import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A self-signed certificate for CN=localhost (valid to 2036) and its key, for STARTTLS and STLS tests. */
export const TEST_TLS_FILES = Object.freeze({
  certFile: fileURLToPath(new URL("../fixtures/test-cert.pem", import.meta.url)),
  keyFile: fileURLToPath(new URL("../fixtures/test-key.pem", import.meta.url)),
});

export function testTlsMaterial(): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(TEST_TLS_FILES.certFile), key: readFileSync(TEST_TLS_FILES.keyFile) };
}
