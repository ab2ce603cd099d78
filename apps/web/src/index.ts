export { buildWeb, DEFAULT_PUBLIC_DIR, type WebOptions, type WebService } from "./app.js";
export { contentTypeFor } from "./static/mime-types.js";
