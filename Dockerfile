# The pitr worker (and CLI) with what it drives: barman, PostgreSQL server binaries, pg_waldump, rsync.
FROM node:20-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      postgresql-15 barman barman-cli-cloud python3-boto3 rsync bzip2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/pitr
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bin ./bin
RUN npm run build && npm prune --omit=dev
ENV PATH=/opt/pitr/bin:$PATH
CMD ["node", "lib/src/worker.js"]
