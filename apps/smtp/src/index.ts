export { buildSmtp, DEFAULT_MAX_MESSAGE_BYTES, type SmtpOptions, type SmtpService } from "./smtp-server.js";
