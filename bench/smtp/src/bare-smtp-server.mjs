// The peer: stock smtp-server that reads every message and throws it away (argv[2] = port).
import { SMTPServer } from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";

// smtp-server waits 100 ms before every greeting and has no option for it; porthost greets at
// once by default, so the peer does too (the connection-limit check of the stock init is kept).
SMTPConnection.prototype.init = function init() {
  this._setListeners(() => {
    const limit = this._server.options.maxClients;
    if (limit && this._server.connections.size > limit) {
      return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
    }
    this.connectionReady();
  });
};

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
