# One image per porthost app, chosen with --build-arg APP (web, smtp, echo, pop3);
# docker-compose.yml builds each one. Stages are ordered so a source change reuses the
# npm ci layers: only manifests and the lockfile reach them.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false TURBO_TELEMETRY_DISABLED=1
WORKDIR /repo

# turbo at the version the lockfile pins; this layer changes only when that version does.
FROM base AS turbo
COPY package-lock.json ./
RUN npm install --global "turbo@$(node -p 'require("./package-lock.json").packages["node_modules/turbo"].version')"

# The app's slice of the monorepo: json/ (manifests + pruned lockfile) and full/ (sources).
FROM turbo AS pruned
ARG APP
COPY . .
RUN test -n "${APP}" || { echo "build with --build-arg APP=<web|smtp|echo|pop3>" >&2; exit 2; }; \
    turbo prune "@porthost/${APP}" --docker --out-dir /pruned

FROM base AS build
ARG APP
COPY --from=pruned /pruned/json/ ./
RUN npm ci
COPY --from=pruned /pruned/full/ ./
RUN node_modules/.bin/turbo run build --filter="@porthost/${APP}..." --output-logs=errors-only
# What a workspace needs at run time: compiled code, static files (web), command scripts (runner).
RUN mkdir /shipped && for dir in apps/* packages/*; do \
      for part in dist public bin; do \
        if [ -e "$dir/$part" ]; then mkdir -p "/shipped/$dir" && cp -a "$dir/$part" "/shipped/$dir/"; fi; \
      done; \
    done

FROM base AS prod-deps
COPY --from=pruned /pruned/json/ ./
RUN npm ci --omit=dev

FROM base AS runtime
ARG APP
# Inside a container each service binds its real well-known port on every interface.
ENV NODE_ENV=production PORTHOST_HOST=0.0.0.0 PORTHOST_PORT_OFFSET=0 PORTHOST_DATA_DIR=/data
WORKDIR /app
# Official Node images have a `node` user (uid 1000); a minimal base may not, so add it.
RUN if ! id -u node >/dev/null 2>&1; then \
      echo 'node:x:1000:1000:node:/home/node:/bin/sh' >> /etc/passwd && echo 'node:x:1000:' >> /etc/group; \
    fi; \
    mkdir -p /data/tls /var/lib/porthost && chown node:node /data /var/lib/porthost /data/tls && chmod 700 /data/tls
COPY --from=prod-deps /repo/ ./
COPY --from=build /shipped/ ./
RUN ln -s "apps/${APP}/dist/main.js" main.js && \
    ln -s /app/packages/runner/bin/porthost-healthcheck.js /usr/local/bin/porthost-healthcheck
USER node
# Mail lives in /data (compose mounts the mail volume there), the dev CA and its leaf in /data/tls
# (the tls volume); the events token the web service makes for the others in /var/lib/porthost
# (the events volume). A new volume takes the folder's owner.
VOLUME /data
CMD ["node", "main.js"]
