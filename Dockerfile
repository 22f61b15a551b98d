# Worker image: build with dev dependencies, run with production ones only, as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm install --ignore-scripts --no-audit --no-fund
COPY common ./common
COPY workflows ./workflows
COPY activities ./activities
COPY loading ./loading
COPY worker ./worker
COPY client ./client
COPY scripts ./scripts
COPY testkit ./testkit
COPY test ./test
# dist/testkit stays: dist/scripts (the demo, the dataset generator) use it.
RUN npx tsc -p . && rm -rf dist/test
# DuckDB's extensions for the pinned engine (DuckLake destination): INSTALL from DuckDB's repository,
# else the PyPI wheels fetched by pip (hence python3-pip, in this stage only).
RUN apt-get update -q && apt-get install -y -q --no-install-recommends python3-pip \
  && rm -rf /var/lib/apt/lists/* && node dist/client/tools.js duckdb-extensions

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund || npm install --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY --from=build /app/.tools/duckdb-extensions ./.tools/duckdb-extensions
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 9464
CMD ["node", "dist/worker/main.js"]
