# One image for Paywatch's own processes (simulator, exporters, scope proxy, alert sink, backfill,
# access sync, report scheduler): the TypeScript sources run with tsx, as `npm start` runs them. docker-compose.yml
# starts each process from it with its own command.
FROM prom/prometheus:v2.53.3 AS prometheus

FROM node:20.18.1-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false
# promtool and prometheus, for the history backfill (the recording rules' history is evaluated by a
# temporary Prometheus over the raw history, with promtool create-blocks-from rules).
COPY --from=prometheus /bin/promtool /usr/local/bin/promtool
COPY --from=prometheus /bin/prometheus /usr/local/bin/prometheus
# Debian's Chromium prints the report PDFs (reports/, driven by playwright-core: no browser download).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
# Packages first (cached while only sources change). tsx is a dev dependency of the root.
COPY package.json package-lock.json ./
COPY contract/package.json contract/
COPY runtime/package.json runtime/
COPY database/package.json database/
COPY simulator/package.json simulator/
COPY exporters/package.json exporters/
COPY kpi/package.json kpi/
COPY scope-proxy/package.json scope-proxy/
COPY stack/package.json stack/
COPY testing/package.json testing/
COPY reports/package.json reports/
RUN npm ci --include=dev --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY tsconfig.json ./
COPY contract contract
COPY runtime runtime
COPY database database
COPY simulator simulator
COPY exporters exporters
COPY kpi kpi
COPY scope-proxy scope-proxy
COPY stack stack
COPY reports reports
COPY policy policy
COPY prometheus prometheus
RUN mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["stack/src/cli/start.ts", "--help"]
