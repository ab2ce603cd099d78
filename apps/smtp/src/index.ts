export { buildSmtp, CLOSE_GRACE_MS, type SmtpLimits, type SmtpOptions, type SmtpService } from "./app.js";
export { smtpReplies, SmtpReply } from "./smtp-replies.js";
