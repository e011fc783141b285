#!/bin/sh
# Runs once, when the postgres container initialises its data volume (docker-entrypoint-initdb.d):
# the read-only role postgres_exporter connects as. pg_monitor reads every session's statistics,
# locks, replication and settings, and no table (docs/database-monitoring.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v monitor_password="$PAYWATCH_MONITOR_PASSWORD" <<'SQL'
CREATE ROLE paywatch_monitor LOGIN PASSWORD :'monitor_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 3;
GRANT pg_monitor TO paywatch_monitor;
ALTER ROLE paywatch_monitor SET default_transaction_read_only = on;
SQL
