export * from "./connection-event.js";
export * from "./app-restart.js";
export * from "./event-builder.js";
export * from "./event-sender.js";
export { normalizeAddress } from "./remote-address.js";
export * from "./tls-info.js";
export * from "./outcome-words.js";
