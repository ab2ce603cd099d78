export * from "./maildir.js";
export * from "./message-schemas.js";
export {
  traceHeaders,
  parseTraceHeaders,
  traceSessionId,
  recipientTop,
  MAX_TRACE_BYTES,
  type ReceivedBy,
} from "./trace-headers.js";
export * from "./session-schemas.js";
export * from "./session-log.js";
export * from "./session-transcript.js";
export * from "./mail-store.js";
export * from "./message-name.js";
export {
  MaildirIndex,
  RECONCILE_INTERVAL_MS,
  ARRIVAL_POLL_MS,
  type IndexEntry,
  type MaildirIndexOptions,
} from "./maildir-index.js";
export { DirectorySync } from "./directory-sync.js";
export { summarizeHeaders, splitAddresses } from "./header-summary.js";
export { bareAddress, isAddressedTo, recipientsOf } from "./recipients.js";
export { RECIPIENT_DELETIONS_DIR } from "./recipient-deletions.js";
export { SUMMARY_FILE } from "./summary-file.js";
export { BODY_INDEX_FILE, MAX_INDEXED_TEXT_CHARS, SNIPPET_CHARS } from "./body-index.js";
export {
  parseSearch,
  matchesSearch,
  blindRecipients,
  SearchSyntaxError,
  type SearchQuery,
  type SearchTerm,
} from "./message-search.js";
export {
  MessageWaiters,
  TooManyWaiters,
  MAX_WAITERS,
  waitQuery,
  type WaitOutcome,
  type WaitFilters,
} from "./message-waiters.js";
export { extractLinks, extractCodes, htmlToText } from "./message-extracts.js";
export {
  lockMaildrop,
  prepareMaildropLocks,
  LOCK_DIR,
  LOCK_SUFFIX,
  SPARE_LOCKS,
  LOCK_REFRESH_MS,
  LOCK_STALE_MS,
  type MaildropLock,
} from "./maildrop-lock.js";
export { pruneMargin } from "./retention.js";
