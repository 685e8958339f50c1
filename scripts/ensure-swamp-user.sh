#!/bin/sh
# An unprivileged host account "swamp" for the unit tests that must run as a non-root user
# (test/fixtures/unprivileged). The local services no longer use it: mariadbd runs as mysql and the
# jobs as the service account swa-daemon (docs/deployment.md). Idempotent; prints the uid.
set -eu
USER_NAME=${SWAMP_USER:-swamp}
WANT_UID=${SWAMP_UID:-1990}
if ! id -u "$USER_NAME" >/dev/null 2>&1; then
  if getent passwd "$WANT_UID" >/dev/null 2>&1; then
    useradd --system --create-home --home-dir "/var/lib/$USER_NAME" --shell /bin/bash "$USER_NAME"
  else
    useradd --uid "$WANT_UID" --create-home --home-dir "/var/lib/$USER_NAME" --shell /bin/bash "$USER_NAME"
  fi
fi
id -u "$USER_NAME"
