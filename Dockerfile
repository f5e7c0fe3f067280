# incident-bot container image.
#   docker build -t incident-bot .                                   (base: the official Node 20 slim image)
#   docker build --build-arg BASE=my-registry/node:20-slim -t incident-bot .
# The base must provide node 20, npm, /bin/sh and a `node` user (uid 1000), as the official node images do.
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are here; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${BASE}
LABEL org.opencontainers.image.title="incident-bot" \
      org.opencontainers.image.description="Slack app for incident channels: alerts, runbook diagnostics, incidents, approved remediations, post-mortems"
# NODE_ENV=production: without Slack credentials the bot refuses to start instead of opening the playground.
# Secrets (SLACK_*, DATABASE_URL, REDIS_URL, ALERTMANAGER_WEBHOOK_TOKEN) come from the environment at run time.
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    COMMANDS_DIR=/app/commands \
    TEMPLATES_DIR=/app/templates
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The catalog and templates shipped with the bot; mount your own over /app/commands and /app/templates (read-only is enough).
COPY commands ./commands
COPY templates ./templates
# Only the embedded database's directory is writable by the bot; the code stays root-owned.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Node is PID 1: main.ts handles SIGTERM (drain, then exit 0 within SHUTDOWN_TIMEOUT_MS, default 10 s), so give
# `docker stop` more than that: docker stop -t 20. The bot starts no child processes, so no init is needed to reap them.
STOPSIGNAL SIGTERM
# Healthy = ready: the database answers and Slack auth succeeded (GET /health/ready, 503 with the reason otherwise).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-old-space-size=128", "dist/main.js"]
