# The node image's base where no registry is reachable: Debian's JRE 17 on the local Debian base.
# Stands in for eclipse-temurin:17-jre-jammy (deploy/Dockerfile's RUNTIME_IMAGE).
ARG BASE=localhost/liaison-base:bookworm
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null \
 && rm -rf /var/lib/apt/lists/*
