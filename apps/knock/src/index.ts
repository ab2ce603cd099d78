export { buildKnock, KNOCK_MAX_CONNECTIONS, VAULT_LINGER_MS, type KnockOptions, type KnockService } from "./app.js";
export {
  createKnockTracker,
  knockDetail,
  MAX_TRACKED_ADDRESSES,
  seconds,
  type KnockResult,
  type KnockTracker,
} from "./knock-tracker.js";
export {
  createSpaVerifier,
  looksLikeSpa,
  MAX_SPA_NONCES,
  SPA_MAGIC,
  SPA_MAX_AGE_MS,
  spaPacket,
  type SpaVerdict,
} from "./spa.js";
export {
  CLIENT_TIMEOUT_MS,
  knockOnce,
  sendDatagram,
  tryVault,
  type ClientOptions,
  type VaultAnswer,
} from "./knock-client.js";
