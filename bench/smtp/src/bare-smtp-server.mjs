// The peer: stock smtp-server that reads every message and throws it away (argv[2] = port).
import { SMTPServer } from "smtp-server";

const server = new SMTPServer({
  authOptional: true,
  disableReverseLookup: true,
  logger: false,
  disabledCommands: ["STARTTLS"],
  onData(stream, _session, callback) {
    stream.on("end", () => callback(null, "Ok: discarded"));
    stream.resume();
  },
});
server.listen(Number(process.argv[2]), "127.0.0.1", () => process.stdout.write("listening\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
