# The build stage's base where no registry is reachable: Debian's JDK 17 and Maven on the local
# Debian base (scripts/container-runtime makes it with debootstrap). Stands in for maven:3.9-eclipse-temurin-17.
ARG BASE=localhost/liaison-base:bookworm
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven >/dev/null \
 && rm -rf /var/lib/apt/lists/*
