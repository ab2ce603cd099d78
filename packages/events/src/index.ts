export * from "./connection-event.js";
export * from "./event-sender.js";
