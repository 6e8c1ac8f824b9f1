# One image for both roles of tilestyle: `npm start`'s program (the front ends) by default, or the
# compute worker with `command: [node, --import, tsx, src/worker.ts]` (see docker-compose.yml).
# node runs the program itself (no npm wrapper), so `docker stop` reaches it and jobs pause cleanly.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source where no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
ENV ONNXRUNTIME_NODE_INSTALL=skip
# What `npm start` and `npm run worker` need: no test tools and no tfjs reference backend (a
# development dependency; asking for it says how to add it). onnxruntime-node ships the binaries of
# every platform: this one's are kept.
RUN npm ci --omit=dev \
 && arch="$(node -p process.arch)" \
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 -type d ! -path "*/linux/${arch}" -exec rm -rf {} +
COPY tsconfig.json ./
COPY src ./src
COPY models ./models
# Where the weights are downloaded (a volume in docker-compose.yml), owned by the user that runs.
RUN mkdir -p models/vgg19

FROM node:20-bookworm-slim
WORKDIR /app
# The operator port (/healthz, /metrics) is on in the image, for the HEALTHCHECK below; it listens on
# the container's loopback unless TILESTYLE_OPS_HOST=0.0.0.0 (for a Prometheus beside it). Logs are
# JSON lines (stdout is no terminal here).
ENV NODE_ENV=production TILESTYLE_DATA_DIR=/data TILESTYLE_OPS_PORT=9464
RUN mkdir -p /data && chown node:node /data
COPY --from=build --chown=node:node /app /app
USER node
# The job store, inputs and results (front end); the VGG19 weights are downloaded to /app/models/vgg19
# on first start unless TILESTYLE_MODEL_DIR points at a mounted copy.
VOLUME ["/data"]
EXPOSE 8080 9464
# Healthy while every part is up: the job store, Redis and a worker (front end of the Redis mode) or
# each engine (one process, or a worker). The image has no curl: node's fetch asks. The first start
# may download the weights and warms the engines, hence the long start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10m --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TILESTYLE_OPS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
