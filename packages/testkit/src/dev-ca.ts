import { resolveTls } from "@porthost/devcert";
import { readConfig } from "@porthost/ports";
import { tempDir } from "./index.js";

export interface DevCaMaterial {
  /** The leaf for localhost and 127.0.0.1, as porthost serves it. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The dev CA that signed it: what a client trusts (and its file, for openssl, swaks, curl). */
  readonly ca: string;
  readonly caPath: string;
  /** Removes the data dir the CA was made in. */
  remove(): Promise<void>;
}

/** A fresh dev CA and leaf, made by @porthost/devcert in a data dir of their own, as porthost start makes them. */
export async function devCaMaterial(): Promise<DevCaMaterial> {
  const { dir, remove } = await tempDir("porthost-dev-ca-");
  const tls = await resolveTls(readConfig({ PORTHOST_DATA_DIR: dir }, dir));
  if (tls.ca === undefined || tls.caPath === undefined) throw new Error("resolveTls made no dev CA");
  return { cert: tls.cert, key: tls.key, ca: tls.ca, caPath: tls.caPath, remove };
}
