# The build stage's base where no registry is reachable: Debian's JDK 17 and Maven on the local
# Debian base (scripts/container-runtime makes it with debootstrap). Stands in for maven:3.9-eclipse-temurin-17.
# extra-ca/: the CA certificates the host added to its own trust (/usr/local/share/ca-certificates), e.g. a
# TLS-inspecting proxy's, which scripts/container-runtime puts in the context so Maven reaches Central from
# the build as it does from the host; empty elsewhere.
ARG BASE=localhost/liaison-base:bookworm
FROM ${BASE}
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates openjdk-17-jdk-headless maven >/dev/null \
 && rm -rf /var/lib/apt/lists/*
