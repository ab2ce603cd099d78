export * from "./maildir.js";
export * from "./envelope.js";
export * from "./mail-store.js";
export * from "./message-name.js";
export { MaildirIndex, RECONCILE_INTERVAL_MS, type IndexEntry, type MaildirIndexOptions } from "./maildir-index.js";
export { DirectorySync } from "./directory-sync.js";
export { summarizeHeaders, splitAddresses, type HeaderSummary } from "./header-summary.js";
export { bareAddress, isAddressedTo } from "./recipients.js";
export { lockMaildrop, LOCK_DIR, LOCK_REFRESH_MS, LOCK_STALE_MS, type MaildropLock } from "./maildrop-lock.js";
