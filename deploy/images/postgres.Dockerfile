# PostgreSQL 15 from Debian's package; see postgres-start.sh for the first start.
FROM siji-base:bookworm
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
COPY postgres-start.sh /usr/local/bin/
COPY postgresql.siji.conf /usr/local/share/siji/
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:$PATH
USER postgres
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-start.sh"]
