import swagger from "@fastify/swagger";
import type { WebApp } from "./web-app.js";

interface Content {
  readonly content?: Readonly<Record<string, { schema?: unknown }>>;
}

interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly parameters?: readonly { name: string; in: string; required?: boolean; description?: string }[];
  readonly requestBody?: Content;
  readonly responses?: Readonly<Record<string, Content & { description?: string }>>;
}

interface OpenApiDocument {
  readonly info: { title: string; version: string; description?: string };
  readonly paths?: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** Each media type of a body or reply, with its schema to unfold. */
function renderContent(content: Content["content"]): string {
  return Object.entries(content ?? {})
    .map(
      ([type, { schema }]) =>
        ` <code>${escapeHtml(type)}</code>${schema === undefined ? "" : `<details><summary>schema</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`}`,
    )
    .join("");
}

/** The OpenAPI document as a page that reads without scripts. */
export function renderDocsPage(doc: OpenApiDocument): string {
  const sections = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<li><code>${escapeHtml(p.name)}</code> (${p.in}${p.required ? ", required" : ""})${p.description ? `: ${escapeHtml(p.description)}` : ""}</li>`,
        )
        .join("");
      const body = op.requestBody ? renderContent(op.requestBody.content) : "";
      const responses = Object.entries(op.responses ?? {})
        .map(
          ([code, r]) => `<li><code>${code}</code> ${escapeHtml(r.description ?? "")}${renderContent(r.content)}</li>`,
        )
        .join("");
      return `<section id="${escapeHtml(`${method}-${path}`)}">
  <h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>
  ${op.summary ? `<p>${escapeHtml(op.summary)}</p>` : ""}${op.description ? `<p>${escapeHtml(op.description)}</p>` : ""}
  ${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ""}
  ${body ? `<h3>Body</h3><div>${body}</div>` : ""}
  ${responses ? `<h3>Responses</h3><ul>${responses}</ul>` : ""}
</section>`;
    }),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>${escapeHtml(doc.info.title)} API</title>
<link rel="stylesheet" href="/style.css" />
</head>
<body>
<header>
<p><a href="/">porthost</a></p>
<h1>${escapeHtml(doc.info.title)} API <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? "")}</p>
<p>The machine-readable OpenAPI 3 document: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a>.</p>
</header>
<main>
${sections.join("\n")}
</main>
</body>
</html>
`;
}

/**
 * Collects every API route's schema into an OpenAPI document (served as JSON) and a readable page
 * at /api/docs. The API is the tagged routes; catch-alls (the static site, unknown /api/ paths)
 * are not endpoints anyone calls by name. Register before the routes, so each is seen as it is added.
 */
export async function registerDocs(app: WebApp): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "porthost",
        version: "0.1.0",
        description:
          "The HTTP service of porthost: ports, your connection, and (with the other services) mail and echo.",
      },
    },
    hideUntagged: true,
    transform: ({ schema, url }) => ({ schema: url.includes("*") ? { ...schema, hide: true } : schema, url }),
  });
  let page: string | undefined;
  app.get("/api/docs/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/api/docs", { schema: { hide: true } }, async (_request, reply) => {
    page ??= renderDocsPage(app.swagger() as unknown as OpenApiDocument);
    return reply.type("text/html; charset=utf-8").send(page);
  });
}
