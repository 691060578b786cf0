# One image for every Wardline service; docker-compose picks the command. Workspaces share one
# lockfile, so the image is built from the repository root. The runtime stage holds compiled
# JavaScript and production dependencies only (scripts/build-production.ts); entry points start
# with plain `node`. test/src/production-tree.e2e.test.ts makes and runs the same tree.
FROM node:22-bookworm-slim AS build
# Native addons without a prebuilt binary for this platform compile from source.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
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
RUN node_modules/.bin/tsx scripts/build-production.ts /app

FROM node:22-bookworm-slim
ENV NODE_ENV=production
# Data folders exist, owned by the service user, before volumes are mounted on them: a named
# volume takes the owner of the folder it is mounted on.
RUN mkdir -p /var/lib/wardline /var/lib/wardline-broker /var/lib/wardline-gateway \
  && chown node:node /var/lib/wardline /var/lib/wardline-broker /var/lib/wardline-gateway
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 8080 8883 8081
CMD ["node", "server/dist/main.js"]
