// The baselines: the least a node echo can do, with nothing but pipe and send.
import dgram from "node:dgram";
import net from "node:net";

const [tcpPort, udpPort] = process.argv.slice(2).map(Number);
const tcp = net.createServer((socket) => socket.pipe(socket));
const udp = dgram.createSocket("udp4");
udp.on("message", (message, remote) => udp.send(message, remote.port, remote.address));
tcp.listen(tcpPort, "127.0.0.1", () => udp.bind(udpPort, "127.0.0.1", () => process.send?.("ready")));
process.on("SIGTERM", () => process.exit(0));
process.on("disconnect", () => process.exit(0));
