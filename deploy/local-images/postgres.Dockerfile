# A PostgreSQL image that behaves as the official postgres image does for Testcontainers'
# PostgreSQLContainer (POSTGRES_USER/PASSWORD/DB, "postgres -c ..." as command, "ready to accept
# connections" logged twice), from Debian's PostgreSQL on the local Debian base.
ARG BASE=localhost/liaison-base:bookworm
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
