export { buildPop3, CLOSE_GRACE_MS, type Pop3Limits, type Pop3Options, type Pop3Service } from "./app.js";
export { Pop3Reply, pop3Replies, printable, type Pop3ReplyCode, type RespCode } from "./pop3-replies.js";
export { apopDigest } from "./pop3-auth.js";
export { encodeMessage, WireEncoder, type WireEncoderOptions } from "./wire-encoder.js";
export { LineReader, type CommandInput } from "./line-reader.js";
export { uidOf } from "./maildrop.js";
export { SHARED_MAILDROP, type Pop3State } from "./pop3-session.js";
