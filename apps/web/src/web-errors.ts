import { Type, type Static } from "typebox";

/** Every error reply of the web service, its own and fastify's (validation, body limits): one shape. */
export const WebErrorSchema = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: "stable: PORTHOST_WEB_* from the catalogue, or fastify's FST_*" }),
    error: Type.String({ description: "the status's reason phrase" }),
    message: Type.String({ description: "what went wrong and what to do, for people" }),
  },
  { description: "an error, from the web service's catalogue (web-errors.ts)" },
);
export type WebError = Static<typeof WebErrorSchema>;

/** The web service's error catalogue: stable codes, HTTP statuses, one clear message each. */
export const webErrors = {
  notFound: (): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NOT_FOUND",
    error: "Not Found",
    message: "No file or route at this path",
  }),
  noDevCa: (): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NO_DEV_CA",
    error: "Not Found",
    message:
      "porthost serves your own certificate (PORTHOST_TLS_CERT), so it has no development CA to offer: trust your certificate's issuer",
  }),
  methodNotAllowed: (allowed: readonly string[]): WebError => ({
    statusCode: 405,
    code: "PORTHOST_WEB_METHOD_NOT_ALLOWED",
    error: "Method Not Allowed",
    message: `Static files answer only ${allowed.join(" and ")}`,
  }),
  rangeNotSatisfiable: (size: number): WebError => ({
    statusCode: 416,
    code: "PORTHOST_WEB_RANGE_NOT_SATISFIABLE",
    error: "Range Not Satisfiable",
    message: `The file has ${size} bytes; the requested range starts past its end`,
  }),
  notAPort: (query: string): WebError => ({
    statusCode: 400,
    code: "PORTHOST_WEB_NOT_A_PORT",
    error: "Bad Request",
    message: `${JSON.stringify(query)} is not a port number: ports are 16 bits, 0-65535`,
  }),
  unknownName: (query: string): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_UNKNOWN_NAME",
    error: "Not Found",
    message: `No service is called ${JSON.stringify(query)}: try a number like 443 or a name like smtp`,
  }),
  eventsOff: (): WebError => ({
    statusCode: 403,
    code: "PORTHOST_WEB_EVENTS_OFF",
    error: "Forbidden",
    message: "Event ingest is off: start the web service with PORTHOST_EVENTS_TOKEN set (npm start sets one)",
  }),
  badEventsToken: (): WebError => ({
    statusCode: 401,
    code: "PORTHOST_WEB_EVENTS_UNAUTHORIZED",
    error: "Unauthorized",
    message: "Only porthost's services may report events: send Authorization: Bearer <PORTHOST_EVENTS_TOKEN>",
  }),
  badEvents: (why: string): WebError => ({
    statusCode: 400,
    code: "PORTHOST_WEB_BAD_EVENTS",
    error: "Bad Request",
    message: `Not a batch of connection events: ${why}`,
  }),
  upstreamDown: (service: string, where: string, why: string): WebError => ({
    statusCode: 502,
    code: "PORTHOST_WEB_UPSTREAM_DOWN",
    error: "Bad Gateway",
    message: `The ${service} service at ${where} did not answer (${why}): is it running? (PORTHOST_${service.toUpperCase()}_ADDR)`,
  }),
  upstreamNotListening: (service: string, where: string): WebError => ({
    statusCode: 502,
    code: "PORTHOST_WEB_UPSTREAM_DOWN",
    error: "Bad Gateway",
    message: `Nothing listens at ${where} (connection refused): is the ${service} service running? (PORTHOST_${service.toUpperCase()}_ADDR)`,
  }),
  upstreamNotSpeaking: (service: string, where: string, what: string): WebError => ({
    statusCode: 502,
    code: "PORTHOST_WEB_UPSTREAM_NOT_SMTP",
    error: "Bad Gateway",
    message: `Something at ${where} took the connection but ${what}: it is not an SMTP server (check PORTHOST_${service.toUpperCase()}_ADDR)`,
  }),
  notAMailAddress: (address: string, why: string): WebError => ({
    statusCode: 400,
    code: "PORTHOST_WEB_NOT_A_MAIL_ADDRESS",
    error: "Bad Request",
    message: `${JSON.stringify(address)} is not a mail address that can be sent to: ${why}`,
  }),
  hostNotAllowed: (host: string): WebError => ({
    statusCode: 421,
    code: "PORTHOST_WEB_HOST_NOT_ALLOWED",
    error: "Misdirected Request",
    message: `Host ${JSON.stringify(host)} is not a name porthost serves (a defence against DNS rebinding): use localhost or an IP address, or add the name to PORTHOST_HTTP_ALLOWED_HOSTS`,
  }),
  tooManyStreams: (max: number): WebError => ({
    statusCode: 503,
    code: "PORTHOST_WEB_TOO_MANY_STREAMS",
    error: "Service Unavailable",
    message: `${max} event streams are open already (PORTHOST_HTTP_MAX_STREAMS): try again later, or read GET /api/events?since=`,
  }),
  tooManyFromAddress: (max: number): WebError => ({
    statusCode: 503,
    code: "PORTHOST_WEB_TOO_MANY_CONNECTIONS",
    error: "Service Unavailable",
    message: `Your address has ${max} connections open to this service already (PORTHOST_MAX_CONNECTIONS_PER_ADDRESS): close some and try again`,
  }),
  upstreamRefused: (service: string, why: string): WebError => ({
    statusCode: 502,
    code: "PORTHOST_WEB_UPSTREAM_REFUSED",
    error: "Bad Gateway",
    message: `The ${service} service refused: ${why}`,
  }),
  datagramTooBig: (bytes: number, limit: number): WebError => ({
    statusCode: 400,
    code: "PORTHOST_WEB_DATAGRAM_TOO_BIG",
    error: "Bad Request",
    message: `${bytes} bytes is more than one echo datagram (${limit} bytes, PORTHOST_ECHO_MAX_DATAGRAM_BYTES)`,
  }),
  noSuchMessage: (id: string): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NO_SUCH_MESSAGE",
    error: "Not Found",
    message: `No message with id ${JSON.stringify(id)}: list them with GET /api/messages`,
  }),
  noSuchSession: (id: string): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NO_SUCH_SESSION",
    error: "Not Found",
    message: `No session ${JSON.stringify(id)} on record (the oldest are pruned past PORTHOST_SESSIONS_MAX): list them with GET /api/sessions`,
  }),
  noSuchAttachment: (id: string, n: number): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NO_SUCH_ATTACHMENT",
    error: "Not Found",
    message: `Message ${id} has no attachment ${n}: attachments count from 0 (see GET /api/messages/${id})`,
  }),
  noHtmlPart: (id: string): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NO_HTML",
    error: "Not Found",
    message: `Message ${id} has no HTML part`,
  }),
  noSuchPart: (id: string, cid: string): WebError => ({
    statusCode: 404,
    code: "PORTHOST_WEB_NO_SUCH_PART",
    error: "Not Found",
    message: `Message ${id} has no part with Content-ID ${JSON.stringify(cid)}`,
  }),
  badSearch: (why: string): WebError => ({
    statusCode: 400,
    code: "PORTHOST_WEB_BAD_SEARCH",
    error: "Bad Request",
    message: `The search cannot be read: ${why}`,
  }),
  waitTimedOut: (seconds: number): WebError => ({
    statusCode: 408,
    code: "PORTHOST_WEB_WAIT_TIMEOUT",
    error: "Request Timeout",
    message: `No matching message arrived within ${seconds} s: wait longer with timeout= (at most 300), or check the address and GET /api/messages`,
  }),
  tooManyWaiters: (max: number): WebError => ({
    statusCode: 503,
    code: "PORTHOST_WEB_TOO_MANY_WAITERS",
    error: "Service Unavailable",
    message: `${max} requests wait for mail already: try again when some have their message`,
  }),
  waitEnded: (): WebError => ({
    statusCode: 503,
    code: "PORTHOST_WEB_WAIT_ENDED",
    error: "Service Unavailable",
    message: "The web service is stopping: wait again once it is back",
  }),
} as const;
