#!/bin/sh
# The local setup's job owner and database OS user: one host account "swamp" that also exists, with the
# same uid, inside the HTCondor chroot. The private mariadbd runs as it, so programs started by
# sys_exec/sys_eval can submit jobs (HTCondor refuses root as a job owner). Idempotent; prints the uid.
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
