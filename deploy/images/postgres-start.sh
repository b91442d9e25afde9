#!/bin/sh
# First start: a cluster whose super user `postgres` has the password POSTGRES_PASSWORD (SCRAM over TCP),
# and the database POSTGRES_DB; then the server on every address, in the foreground.
set -eu
if [ ! -e "$PGDATA/PG_VERSION" ]; then
  PWFILE=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$PWFILE"
  initdb -D "$PGDATA" -U postgres --pwfile="$PWFILE" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C >/dev/null
  rm -f "$PWFILE"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # the local launcher's settings (SETTINGS in cli/src/siji_cli/infra/postgres.py, copied in at the build)
  { echo "listen_addresses = '*'"; cat /usr/local/share/siji/postgresql.siji.conf; } >> "$PGDATA/postgresql.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -k /tmp" start >/dev/null
  createdb -h /tmp -U postgres "${POSTGRES_DB:-siji}"
  pg_ctl -D "$PGDATA" -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -k /tmp
