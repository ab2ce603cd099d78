export * from "./connection-event.js";
export * from "./event-builder.js";
export * from "./event-sender.js";
export { normalizeAddress } from "./remote-address.js";
