import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;

export const EC_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;

export interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** The private key as PKCS#8 PEM. */
  readonly pem: string;
  readonly keyObject: KeyObject;
}

/** Parses a PKCS#8 P-256 key; throws when the text is not one. */
export async function importKeyPem(pem: string): Promise<KeyPair> {
  const keyObject = createPrivateKey(pem);
  if (keyObject.asymmetricKeyType !== "ec" || keyObject.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error("not an ECDSA P-256 key");
  }
  const pkcs8 = keyObject.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(keyObject).export({ type: "spki", format: "der" });
  return {
    privateKey: await webcrypto.subtle.importKey("pkcs8", pkcs8, EC_KEY, false, ["sign"]),
    publicKey: await webcrypto.subtle.importKey("spki", spki, EC_KEY, true, ["verify"]),
    pem,
    keyObject,
  };
}
