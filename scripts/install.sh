#!/bin/sh
# make install / make uninstall.
#   scripts/install.sh DESTDIR PREFIX LEGACY_BINDIR
#   scripts/install.sh --uninstall DESTDIR PREFIX LEGACY_BINDIR
# Installs the one executable and its program names under PREFIX/bin, the legacy names the DB calls
# (execute_execution_record, launch_viewer, kill_run) in LEGACY_BINDIR, the UDF, an example
# swamp.conf, the log and run directories, systemd units (and a cron alternative) for the drain and
# cleanup passes (swampctl cleanup)
# and a logrotate file. Every installed path is listed in PREFIX/share/swamp-backend/manifest so
# uninstall removes exactly what install put there (never swamp.conf, logs, run data, tokens or the
# accounts).
#
# Production's shape (docs/deployment.md): mysqld's user hands work over, the service account owns
# every job. Install sets the owners, groups and modes that make it work:
#   SWAMP_USER     the service account (swa-daemon): owns the jobs, runs the drain timer
#   SWAMP_GROUP    the submit group (swa-submit): the service account (primary group) and mysqld's
#                  user; group of swamp.conf, the run, log and data directories
#   MYSQLD_USER    mysqld's OS user (mysql): added to SWAMP_GROUP when it exists
#   CREATE_ACCOUNTS=1 (default) creates SWAMP_GROUP and SWAMP_USER when missing and adds MYSQLD_USER
#                  to the group; 0 for DESTDIR/package builds (no account is touched; owners are set
#                  only for accounts that already exist, a warning names the rest)
#   DATA_DIRS      the web's shared directories (results, outgoing, projects), made 2775
#                  SWAMP_USER:SWAMP_GROUP; default /swamp/working/results /swamp/outgoing /swamp/SCAProjects
#   TOKEN_USERS    the OS users that submit as the service account (default: MYSQLD_USER SWAMP_USER
#                  root): each gets PREFIX/etc/tokens.d/<user>/ (0700, its own)
#   SWAMP_TOKEN    a file holding the service account's IDTOKEN: copied 0600 into each user's
#                  directory (HTCondor reads a token only from a file its reader owns, mode 0600)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
uninstall=0
if [ "${1:-}" = "--uninstall" ]; then uninstall=1; shift; fi
DESTDIR=${1:-}
PREFIX=${2:-/opt/swamp}
LEGACY_BINDIR=${3:-/usr/local/bin}
SWAMP_USER=${SWAMP_USER:-swa-daemon}
SWAMP_GROUP=${SWAMP_GROUP:-swa-submit}
MYSQLD_USER=${MYSQLD_USER:-mysql}
CREATE_ACCOUNTS=${CREATE_ACCOUNTS:-1}
DATA_DIRS=${DATA_DIRS-/swamp/working/results /swamp/outgoing /swamp/SCAProjects}
TOKEN_USERS=${TOKEN_USERS-$MYSQLD_USER $SWAMP_USER root}
SWAMP_TOKEN=${SWAMP_TOKEN:-}
SHARE="$PREFIX/share/swamp-backend"
MANIFEST="$DESTDIR$SHARE/manifest"

if [ "$uninstall" = 1 ]; then
  [ -f "$MANIFEST" ] || { echo "nothing to uninstall: $MANIFEST not found" >&2; exit 0; }
  # files and links first, then the directories that became empty
  sort -r "$MANIFEST" | while IFS= read -r p; do
    t="$DESTDIR$p"
    if [ -L "$t" ] || [ -f "$t" ]; then rm -f "$t"; elif [ -d "$t" ]; then rmdir "$t" 2>/dev/null || true; fi
  done
  rm -f "$MANIFEST"
  rmdir "$DESTDIR$SHARE" 2>/dev/null || true
  echo "uninstalled from ${DESTDIR:-/}$PREFIX (swamp.conf, logs and run data kept)" >&2
  exit 0
fi

[ -x "$ROOT/dist/bin/swamp" ] || { echo "dist/bin/swamp missing: run make build" >&2; exit 1; }
mkdir -p "$DESTDIR$SHARE"
: > "$MANIFEST.new"
record() { echo "$1" >> "$MANIFEST.new"; }
subst() { sed -e "s#@PREFIX@#$PREFIX#g" -e "s#@SWAMP_USER@#$SWAMP_USER#g" -e "s#@SWAMP_GROUP@#$SWAMP_GROUP#g" "$1"; }

# ---- accounts (on this machine, not in DESTDIR) ----------------------------------------------------
has_user() { id -u "$1" >/dev/null 2>&1; }
has_group() { getent group "$1" >/dev/null 2>&1; }
if [ "$CREATE_ACCOUNTS" = 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "CREATE_ACCOUNTS=1 needs root (or CREATE_ACCOUNTS=0 for a DESTDIR build)" >&2; exit 1; }
  has_group "$SWAMP_GROUP" || groupadd --system "$SWAMP_GROUP"
  # no login; a home for HTCondor's and the tools' per-user files
  has_user "$SWAMP_USER" || useradd --system --gid "$SWAMP_GROUP" --create-home --home-dir "/var/lib/$SWAMP_USER" \
    --shell /usr/sbin/nologin --comment "SWAMP service account (owns the jobs)" "$SWAMP_USER"
  for u in "$SWAMP_USER" "$MYSQLD_USER"; do
    has_user "$u" || continue
    id -nG "$u" | tr ' ' '\n' | grep -qx "$SWAMP_GROUP" || usermod -aG "$SWAMP_GROUP" "$u"
  done
  has_user "$MYSQLD_USER" || echo "note: $MYSQLD_USER does not exist yet: after installing MariaDB, usermod -aG $SWAMP_GROUP $MYSQLD_USER" >&2
fi
# own USER:GROUP PATH...: as root and when both exist; otherwise a warning says what to run later
own() {
  o=$1; shift
  if [ "$(id -u)" = 0 ] && has_user "${o%%:*}" && has_group "${o#*:}"; then chown "$o" "$@"
  else echo "warning: not owned yet (account missing or not root): chown $o $*" >&2; fi
}

install -d -m 0755 "$DESTDIR$PREFIX/bin" "$DESTDIR$PREFIX/etc" "$DESTDIR$LEGACY_BINDIR" "$DESTDIR$SHARE"
# Logs: 2770 service account:submit group (setgid keeps the group on new files): mysqld's programs,
# the jobs' hooks and the drain all append; nothing world-writable.
install -d -m 02770 "$DESTDIR$PREFIX/log"
# Run dir: mysqld's programs write BOGs and job dirs through the group, the drain (service account)
# relaunches and removes them; setgid keeps every job dir in the group.
install -d -m 02770 "$DESTDIR$PREFIX/run"
own "$SWAMP_USER:$SWAMP_GROUP" "$DESTDIR$PREFIX/log" "$DESTDIR$PREFIX/run"
chmod 02770 "$DESTDIR$PREFIX/log" "$DESTDIR$PREFIX/run"   # chown may clear setgid
# Default ACL on the run dir: whatever is made beneath it gives the submit group the rights its
# maker gave the owner (rwx for a directory made 0775), whatever the maker's umask. The job, its hooks
# and HTCondor's shadow (writing a job's output back, as the service account, umask 022) then leave
# directories mysqld's user can empty and remove (launch_viewer removes an earlier viewer's dir);
# "other" gets nothing. Needs setfacl (Debian/RHEL package acl) and a file system with ACLs.
if [ "$(id -u)" = 0 ] && has_group "$SWAMP_GROUP" && command -v setfacl >/dev/null 2>&1; then
  setfacl -m "g:$SWAMP_GROUP:rwx,d:u::rwx,d:g::rwx,d:g:$SWAMP_GROUP:rwx,d:m::rwx,d:o::---" "$DESTDIR$PREFIX/run" ||
    echo "warning: setfacl failed on $PREFIX/run (file system without ACLs?): mysqld's user cannot remove job dirs the jobs wrote into" >&2
else
  echo "warning: run dir without its default ACL (needs root, group $SWAMP_GROUP and setfacl): setfacl -m g:$SWAMP_GROUP:rwx,d:u::rwx,d:g::rwx,d:g:$SWAMP_GROUP:rwx,d:m::rwx,d:o::--- $PREFIX/run" >&2
fi
for d in $DATA_DIRS; do
  install -d -m 02775 "$DESTDIR$d"
  own "$SWAMP_USER:$SWAMP_GROUP" "$DESTDIR$d"
  chmod 02775 "$DESTDIR$d"
done
# The service account's IDTOKEN: one copy per OS user that submits as it (HTCondor refuses a
# group-readable token). The client config picks the caller's: SEC_TOKEN_DIRECTORY =
# PREFIX/etc/tokens.d/$(USERNAME) (share/swamp-backend/htcondor/swamp-tokens.config).
install -d -m 0755 "$DESTDIR$PREFIX/etc/tokens.d"
for u in $TOKEN_USERS; do
  install -d -m 0700 "$DESTDIR$PREFIX/etc/tokens.d/$u"
  g=$(id -gn "$u" 2>/dev/null || echo "$u")
  if [ -n "$SWAMP_TOKEN" ]; then
    install -m 0600 "$SWAMP_TOKEN" "$DESTDIR$PREFIX/etc/tokens.d/$u/$SWAMP_USER"
    own "$u:$g" "$DESTDIR$PREFIX/etc/tokens.d/$u" "$DESTDIR$PREFIX/etc/tokens.d/$u/$SWAMP_USER"
  else
    own "$u:$g" "$DESTDIR$PREFIX/etc/tokens.d/$u"
  fi
done
[ -n "$SWAMP_TOKEN" ] || echo "note: no SWAMP_TOKEN given: put the service account's token (condor_token_create -identity $SWAMP_USER@<UID_DOMAIN>) in $PREFIX/etc/tokens.d/<user>/$SWAMP_USER, 0600 owned by <user>" >&2
# swamp.conf holds the DB password: 0640 root:submit group (mysqld's programs and the drain read it)
if [ -f "$DESTDIR$PREFIX/etc/swamp.conf" ]; then
  own "root:$SWAMP_GROUP" "$DESTDIR$PREFIX/etc/swamp.conf"; chmod 0640 "$DESTDIR$PREFIX/etc/swamp.conf"
fi
install -m 0755 "$ROOT/dist/bin/swamp" "$DESTDIR$PREFIX/bin/swamp"; record "$PREFIX/bin/swamp"
# The local platform's machines are simulators (canned SCARF result, scripted events) for tests and
# the demo: installed only when asked for with WITH_SIMULATOR=1.
# The native entries (pkg.config.json nativeEntries, entry/) are programs of their own that hand
# everything but their common case to PREFIX/bin/swamp beside them; every other name links to swamp.
NATIVE=$(node -e 'for (const n of require(process.argv[1]).nativeEntries ?? []) console.log(n)' "$ROOT/pkg.config.json")
is_native() { printf '%s\n' $NATIVE | grep -qx "$1"; }
for name in $(node -e 'const c = require(process.argv[1]); const sim = process.argv[2] === "1" ? [] : c.simulators; for (const p of c.programs) if (!sim.includes(p)) console.log(p)' "$ROOT/pkg.config.json" "${WITH_SIMULATOR:-0}"); do
  if is_native "$name" && [ -L "$ROOT/dist/bin/$name" ]; then
    echo "warning: dist/bin/$name was built without its native entry (no gcc): installed as a link to swamp" >&2
  fi
  if is_native "$name" && [ -f "$ROOT/dist/bin/$name" ] && [ ! -L "$ROOT/dist/bin/$name" ]; then
    # beside, then renamed over the name (an earlier install's link to swamp, or a running copy)
    install -m 0755 "$ROOT/dist/bin/$name" "$DESTDIR$PREFIX/bin/.$name.new"
    mv -fT "$DESTDIR$PREFIX/bin/.$name.new" "$DESTDIR$PREFIX/bin/$name"
  else
    ln -sfn swamp "$DESTDIR$PREFIX/bin/$name"
  fi
  record "$PREFIX/bin/$name"
done
# The legacy names the DB calls link to the program of that name (a native entry or swamp): the
# Node program finds the installed swamp.conf beside the real path of the name it was called as.
for name in execute_execution_record launch_viewer kill_run; do
  if [ -f "$DESTDIR$PREFIX/bin/$name" ] && [ ! -L "$DESTDIR$PREFIX/bin/$name" ]; then ln -sfn "$PREFIX/bin/$name" "$DESTDIR$LEGACY_BINDIR/$name"
  else ln -sfn "$PREFIX/bin/swamp" "$DESTDIR$LEGACY_BINDIR/$name"; fi
  record "$LEGACY_BINDIR/$name"
done
if [ -f "$ROOT/build/plugin/sys_udf.so" ]; then
  install -d -m 0755 "$DESTDIR$PREFIX/lib/mariadb/plugin"
  install -m 0644 "$ROOT/build/plugin/sys_udf.so" "$DESTDIR$PREFIX/lib/mariadb/plugin/sys_udf.so"
  record "$PREFIX/lib/mariadb/plugin/sys_udf.so"
  # strict mode (no shell), our three legacy names on the allowlist; root-owned 0644 as the UDF
  # requires. Written only when absent and never removed: a site's edits stay (docs/udf-strict.md).
  udfconf="$DESTDIR$PREFIX/lib/mariadb/plugin/sys_udf.conf"
  if [ ! -e "$udfconf" ]; then
    {
      echo "# sys_exec/sys_eval settings (docs/udf-strict.md, docs/security.md). Copy next to the server's"
      echo "# sys_udf.so (its plugin_dir) or point SWAMP_UDF_CONF at it."
      echo "mode = strict"
      for name in execute_execution_record launch_viewer kill_run; do echo "allow = $LEGACY_BINDIR/$name"; done
    } > "$udfconf"
    chmod 0644 "$udfconf"
  fi
fi
# 0640: the real swamp.conf made from it holds the DB password (root:<group of the service accounts>)
install -m 0640 "$ROOT/packaging/swamp.conf.example" "$DESTDIR$PREFIX/etc/swamp.conf.example"; record "$PREFIX/etc/swamp.conf.example"
install -d -m 0755 "$DESTDIR$SHARE/htcondor"
subst "$ROOT/packaging/htcondor/swamp-tokens.config" > "$DESTDIR$SHARE/htcondor/swamp-tokens.config"
chmod 0644 "$DESTDIR$SHARE/htcondor/swamp-tokens.config"; record "$SHARE/htcondor/swamp-tokens.config"; record "$SHARE/htcondor"
install -d -m 0755 "$DESTDIR/etc/systemd/system" "$DESTDIR/etc/logrotate.d" "$DESTDIR$SHARE/cron"
# swamp-containers.*: for execute hosts with the docker platform (enabled there by the admin)
for u in swamp-drain.service swamp-drain.timer swamp-cleanup.service swamp-cleanup.timer swamp-containers.service swamp-containers.timer; do
  subst "$ROOT/packaging/systemd/$u" > "$DESTDIR/etc/systemd/system/$u"; chmod 0644 "$DESTDIR/etc/systemd/system/$u"
  record "/etc/systemd/system/$u"
done
subst "$ROOT/packaging/logrotate/swamp-backend" > "$DESTDIR/etc/logrotate.d/swamp-backend"; record /etc/logrotate.d/swamp-backend
# cron is the alternative to the timer: shipped, not enabled (copy it to /etc/cron.d to use it)
subst "$ROOT/packaging/cron/swamp-backend" > "$DESTDIR$SHARE/cron/swamp-backend"; record "$SHARE/cron/swamp-backend"
install -d -m 0755 "$DESTDIR$PREFIX/share/doc/swamp-backend"
for d in README.md docs/*.md; do
  [ -f "$ROOT/$d" ] || continue
  install -m 0644 "$ROOT/$d" "$DESTDIR$PREFIX/share/doc/swamp-backend/$(basename "$d")"; record "$PREFIX/share/doc/swamp-backend/$(basename "$d")"
done
record "$SHARE/cron"
mv "$MANIFEST.new" "$MANIFEST"
echo "installed into ${DESTDIR:-/}$PREFIX; legacy names in $LEGACY_BINDIR" >&2
[ -n "$DESTDIR" ] || echo "next: systemctl daemon-reload && systemctl enable --now swamp-drain.timer swamp-cleanup.timer" >&2
