# syntax=docker/dockerfile:1
# The catalog service as a small image: built in a Rust image, run in a slim
# Debian with only libpq (the import's binary COPY links it) and CA
# certificates. Build: docker build -t catalog-http .
# Run: docker run -p 3000:3000 catalog-http            (a generated sample catalog in memory)
#      docker run -p 3000:3000 -e CATALOG_STORE=pg -e DATABASE_URL=postgres://... catalog-http
# See docs/deploy.md for every setting.

FROM rust:1.95-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The registry and target directories are cache mounts, so a rebuild after a
# code change compiles only the workspace's crates.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p catalog-http \
    && install -D -s target/release/catalog-http /out/catalog-http

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home --shell /usr/sbin/nologin catalog
COPY --from=build /out/catalog-http /usr/local/bin/catalog-http
USER catalog
WORKDIR /tmp
ENV CATALOG_LISTEN=0.0.0.0:3000 \
    CATALOG_LOG_FORMAT=json \
    CATALOG_REJECTS=/tmp/catalog-rejects.csv
EXPOSE 3000
# Probes: GET /healthz (the process is up), GET /readyz (the store answers).
ENTRYPOINT ["/usr/local/bin/catalog-http"]
CMD ["serve"]
