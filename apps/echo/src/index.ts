export { buildEcho, type EchoService, type EchoOptions } from "./app.js";
export { buildTcpService, CLOSE_GRACE_MS, type TcpService, type TcpServiceStats } from "./tcp-service.js";
export { buildUdpService, type UdpService } from "./udp-service.js";
export { createRateLimiter, MAX_TRACKED_SOURCES } from "./rate-limiter.js";
export {
  FIRST_UNPRIVILEGED_PORT,
  interfaceAddresses,
  interfaceBroadcasts,
  NFS_PORT,
  ownEndpoint,
  unsafeSource,
} from "./reflector-guard.js";
