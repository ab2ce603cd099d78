export * from "./maildir.js";
