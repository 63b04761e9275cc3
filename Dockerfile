# The pitr worker (and CLI) with what it drives: the newest Barman from PyPI (barman-cloud and the codec
# extras, pinned in scripts/barman-requirements.txt), the PostgreSQL server binaries of one major version
# (build argument PG_MAJOR, from the PostgreSQL project's apt repository), pg_waldump, rsync, `file`
# (Barman 3.14+ runs it on every WAL file) and the decompressors the worker uses for WAL Barman cannot
# read everywhere (xz-utils, zstd, lz4, python3-snappy with python3-crc32c: Debian 12's python3-snappy
# cannot check snappy CRCs on Python 3.11 by itself).
#   docker build --build-arg PG_MAJOR=16 -t pitr-worker .
# One image serves backups of one major: build one per major, or install more majors and set
# PITR_PG_BIN_DIR_<major> for each.
FROM node:20-bookworm-slim
ARG PG_MAJOR=17
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates gnupg postgresql-common \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "postgresql-${PG_MAJOR}" rsync file bzip2 xz-utils zstd lz4 python3-snappy python3-crc32c \
      python3-venv python3-dev libpq-dev gcc \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/barman-requirements.txt scripts/barman-build-constraints.txt /opt/barman-requirements/
RUN python3 -m venv /opt/barman \
 && PIP_CONSTRAINT=/opt/barman-requirements/barman-build-constraints.txt \
    /opt/barman/bin/pip install --no-cache-dir -r /opt/barman-requirements/barman-requirements.txt \
 && /opt/barman/bin/barman --version
ENV PITR_BARMAN_BIN=/opt/barman/bin/barman \
    PITR_PG_BIN_DIR=/usr/lib/postgresql/{major}/bin
WORKDIR /opt/pitr
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bin ./bin
RUN npm run build && npm prune --omit=dev
ENV PATH=/opt/pitr/bin:/opt/barman/bin:$PATH
CMD ["node", "bin/pitr-worker.js"]
