# One image for every Wardline service; docker-compose picks the command. Workspaces share one
# lockfile, so the image is built from the repository root.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY protocol/package.json protocol/
COPY broker/package.json broker/
COPY server/package.json server/
COPY gateway/package.json gateway/
COPY firmware-sim/package.json firmware-sim/
COPY dashboard/package.json dashboard/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:dashboard && npm prune --omit=dev --workspaces --include-workspace-root=false || true

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8080 1883 8081
CMD ["npx", "tsx", "server/src/main.ts"]
