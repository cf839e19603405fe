#!/bin/sh
# Migrate the database (Alembic, idempotent), then start what the container was asked to run.
set -eu
if [ "${SKIP_MIGRATIONS:-false}" != "true" ]; then
  python -m engine db upgrade
fi
exec "$@"
