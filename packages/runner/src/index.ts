export * from "./listen.js";
export * from "./messages.js";
export * from "./run-app.js";
export * from "./health-probe.js";
export * from "./healthcheck-cli.js";
export * from "./address-cap.js";
