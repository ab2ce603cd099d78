export {
  buildSmtp,
  CLOSE_GRACE_MS,
  type SmtpLimits,
  type SmtpOptions,
  type SmtpPort,
  type SmtpService,
  type SmtpServiceName,
} from "./app.js";
export { smtpReplies, SmtpReply } from "./smtp-replies.js";
