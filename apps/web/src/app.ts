import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { LogController, type FastifyBaseLogger } from "fastify";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PorthostConfig } from "@porthost/ports";
import { MailStore, maildirRoot, sessionsRoot } from "@porthost/mailstore";
import { silentLogger, type Logger } from "@porthost/log";
import { capConnectionsPerAddress, listenAll, listenTcp, type ListeningEndpoint } from "@porthost/runner";
import { registerClientRoutes } from "./api/client-routes.js";
import { registerDocs } from "./api/docs.js";
import { registerMailRoutes } from "./api/mail-routes.js";
import { registerSessionRoutes } from "./api/session-routes.js";
import { registerMailpitRoutes } from "./api/mailpit-routes.js";
import { registerWaitRoute } from "./api/wait-route.js";
import { registerInlinePartRoutes } from "./api/inline-parts.js";
import { registerPortsRoute } from "./api/ports-route.js";
import { registerWhoamiRoute } from "./api/whoami-route.js";
import { registerCaRoute } from "./api/ca-route.js";
import { closeHttpsListener, httpsListener } from "./https-listener.js";
import type { ResolvedTls } from "@porthost/devcert";
import { registerWhoisRoute } from "./api/whois-route.js";
import type { WebApp } from "./api/web-app.js";
import { checkHost } from "./host-check.js";
import { limitPipelining } from "./pipelining-limit.js";
import { webErrors, type WebError } from "./web-errors.js";
import { EventHub } from "./events/event-hub.js";
import { registerEventRoutes } from "./events/events-routes.js";
import { requestRecorder } from "./events/request-recorder.js";
import { registerStaticFiles } from "./static/static-files.js";

/** The built site: the switchboard page (ui/, by vite) with public/'s files beside it. */
export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL("../dist/site", import.meta.url));

/** A whole HTTP answer written on a connection refused before node's parser sees it. */
function rawAnswer(error: WebError, headers: Readonly<Record<string, string>>): string {
  const body = JSON.stringify(error);
  const head = Object.entries({
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
    ...headers,
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${error.statusCode} ${error.error}\r\n${head.join("")}\r\n${body}`;
}

function missingSite(dir: string, isDefault: boolean): string {
  return isDefault
    ? `the web service's site is not built (${dir} is missing): run npm run build`
    : `the public folder ${dir} does not exist`;
}

export interface WebOptions {
  readonly config: PorthostConfig;
  /** Overrides config's http port (0 in tests). */
  readonly port?: number;
  readonly publicDir?: string;
  readonly logger?: Logger;
  /** What the https port serves (resolveTls); without it only the http port listens. */
  readonly tls?: ResolvedTls;
  /** Overrides config's https port (0 in tests). */
  readonly httpsPort?: number;
}

export interface WebService {
  readonly app: WebApp;
  /** Every service's connection events, the web service's own requests included. */
  readonly hub: EventHub;
  listen(): Promise<ListeningEndpoint[]>;
  close(): Promise<void>;
}

export async function buildWeb(options: WebOptions): Promise<WebService> {
  const logger = options.logger ?? silentLogger();
  const limits = options.config.http;
  const hub = new EventHub();
  const record = requestRecorder(hub, logger);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: limits.maxBodyBytes,
    // Unknown fields in a request are an error to report, not something to drop silently.
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(
        errors
          .map((e) =>
            e.keyword === "additionalProperties"
              ? `${dataVar}${e.instancePath} has an unknown field ${JSON.stringify(e.params.additionalProperty)}`
              : `${dataVar}${e.instancePath} ${e.message ?? "is not valid"}`,
          )
          .join("; "),
      ),
    // Node's own server, parser and backpressure; only its limits are ours.
    http: {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the two timeouts on this interval (30 s by default); check often enough to honour them.
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Requests are logged once each, with port fields, by the recorder; no child logger per request.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent) => parent,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Past this many open connections node closes a new one on accept.
  app.server.maxConnections = limits.maxConnections;
  // Before the cap wraps the server's connection listeners: only admitted connections are followed.
  record.watch(app.server);
  // One address's share of them: the rest stay for everyone else (slowloris, held event streams).
  capConnectionsPerAddress(app.server, {
    service: "http",
    maxPerAddress: options.config.connections.maxPerAddress,
    serviceMaxConnections: limits.maxConnections,
    reply: (max) => rawAnswer(webErrors.tooManyFromAddress(max), { "retry-after": "10" }),
    logger,
    events: { send: (event) => hub.publish(event) },
  });
  // Only JSON bodies: a form or text/plain post (what a page on another site may send without
  // asking, CSRF) is answered 415 by fastify before any route runs.
  app.removeContentTypeParser("text/plain");
  checkHost(app, options.config);

  limitPipelining(app, logger);
  // A callback hook, not an async one: it runs on every routed request and needs no promise.
  app.addHook("onResponse", (request, reply, done) => {
    record({
      socket: request.raw.socket,
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      durationMs: reply.elapsedTime,
    });
    done();
  });

  await registerDocs(app);
  registerPortsRoute(app, options.config);
  registerWhoamiRoute(app);
  registerCaRoute(app, options.tls?.ca);
  registerWhoisRoute(app, options.config);
  registerEventRoutes(app, hub, options.config.events.token, limits);
  registerClientRoutes(app, options.config);
  // The web service reads the Maildir the SMTP service writes (a shared volume in compose).
  const store = await MailStore.open(maildirRoot(options.config.dataDir), {
    maxMessages: options.config.mail.maxMessages,
  });
  app.addHook("onClose", () => store.close());
  hub.mail.follow(store);
  registerWaitRoute(app, store);
  registerMailRoutes(app, store);
  registerSessionRoutes(app, sessionsRoot(options.config.dataDir));
  registerInlinePartRoutes(app, store);
  registerMailpitRoutes(app, store, options.config);
  app.all("/api/*", { schema: { hide: true } }, async (_request, reply) => reply.code(404).send(webErrors.notFound()));
  const publicDir = path.resolve(options.publicDir ?? DEFAULT_PUBLIC_DIR);
  if (!existsSync(publicDir)) throw new Error(missingSite(publicDir, options.publicDir === undefined));
  await registerStaticFiles(app, publicDir);

  const target = {
    service: "http" as const,
    transport: "tcp" as const,
    host: options.config.host,
    port: options.port ?? options.config.services.http.port,
  };
  // HTTPS is the same app: its decrypted connections join the HTTP server's (https-listener.ts).
  const https =
    options.tls &&
    httpsListener(app.server, {
      tls: options.tls,
      limits,
      maxPerAddress: options.config.connections.maxPerAddress,
      hub,
      logger,
    });
  const httpsTarget = {
    ...target,
    service: "https" as const,
    port: options.httpsPort ?? options.config.services.https.port,
  };
  return {
    app,
    hub,
    async listen() {
      await app.ready();
      const attempts = [listenTcp(app.server, target), ...(https ? [listenTcp(https, httpsTarget)] : [])];
      return listenAll(attempts).catch(async (error: unknown) => {
        await Promise.all([https && closeHttpsListener(https), app.close()]);
        throw error;
      });
    },
    async close() {
      await Promise.all([https && closeHttpsListener(https), app.close()]);
    },
  };
}
