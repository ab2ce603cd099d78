import { Type } from "typebox";
import { WebErrorSchema, webErrors } from "../web-errors.js";
import type { WebApp } from "./web-app.js";

/** The path the switchboard offers the dev CA at; the README and `porthost cert` name it. */
export const CA_PATH = "/ca.pem";

/**
 * GET /ca.pem: the development CA's certificate, to trust porthost's TLS ports with (the CA's
 * text, which the web service got from resolveTls; no key is ever read here). 404 when the
 * user brings a certificate of their own: there is no porthost CA then.
 */
export function registerCaRoute(app: WebApp, ca: string | undefined): void {
  app.get(
    CA_PATH,
    {
      schema: {
        summary: "porthost's development CA certificate (PEM): trust it once for https, submissions and pop3s",
        tags: ["tls"],
        produces: ["application/x-pem-file"],
        response: { 200: Type.String({ description: "the CA certificate, PEM" }), 404: WebErrorSchema },
      },
    },
    async (_request, reply) => {
      if (ca === undefined) return reply.code(404).send(webErrors.noDevCa());
      return reply
        .type("application/x-pem-file")
        .header("content-disposition", 'attachment; filename="porthost-rootCA.pem"')
        .send(ca);
    },
  );
}
