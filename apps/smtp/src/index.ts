export {
  buildSmtp,
  CLOSE_GRACE_MS,
  DEFAULT_SMTP_LIMITS,
  type SmtpLimits,
  type SmtpOptions,
  type SmtpService,
} from "./smtp-server.js";
export { smtpReplies, SmtpReply } from "./smtp-errors.js";
