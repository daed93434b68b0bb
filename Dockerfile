# The worker and the gateway run from this one image (docker-compose.yml picks the command).
# Node.js 24 LTS (docs/node.md). Both stages use the SAME image: better-sqlite3 is compiled in the build
# stage against this Node's ABI and copied into the runtime stage as is (test/unit/node-support.test.ts).
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source (node-gyp: python3, make, g++) when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY packages/simulators/package.json ./packages/simulators/
RUN npm ci
COPY tsconfig.json tsconfig.base.json ./
COPY src ./src
COPY test ./test
COPY scripts ./scripts
COPY packages/simulators ./packages/simulators
RUN npm run build
# Production dependencies only: the simulators workspace (and its contracts, openapi-backend)
# and every dev tool stay out of the image.
RUN rm -rf node_modules && npm ci --omit=dev --workspaces=false

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production TZS_MODE=production DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The workflows bundled at build time: the worker loads it instead of running webpack at start.
COPY --from=build /app/dist/workflow-bundle.js ./dist/workflow-bundle.js
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
CMD ["node", "dist/src/gateway.js"]
