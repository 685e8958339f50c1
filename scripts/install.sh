#!/bin/sh
# make install / make uninstall.
#   scripts/install.sh DESTDIR PREFIX LEGACY_BINDIR
#   scripts/install.sh --uninstall DESTDIR PREFIX LEGACY_BINDIR
# Installs the one executable and its program names under PREFIX/bin, the legacy names the DB calls
# (execute_execution_record, launch_viewer, kill_run) in LEGACY_BINDIR, the UDF, an example
# swamp.conf, the log and run directories, systemd units (and a cron alternative) for the drain and
# cleanup passes (swampctl cleanup)
# and a logrotate file. Every installed path is listed in PREFIX/share/swamp-backend/manifest so
# uninstall removes exactly what install put there (never swamp.conf, logs or run data).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
uninstall=0
if [ "${1:-}" = "--uninstall" ]; then uninstall=1; shift; fi
DESTDIR=${1:-}
PREFIX=${2:-/opt/swamp}
LEGACY_BINDIR=${3:-/usr/local/bin}
SWAMP_USER=${SWAMP_USER:-swa-daemon}
# The group of the log dir: the service account's, which the mysqld account must also be in (its
# programs log there too): usermod -aG <group> mysql
SWAMP_GROUP=${SWAMP_GROUP:-$(id -gn "$SWAMP_USER" 2>/dev/null || echo "$SWAMP_USER")}
SHARE="$PREFIX/share/swamp-backend"
MANIFEST="$DESTDIR$SHARE/manifest"

if [ "$uninstall" = 1 ]; then
  [ -f "$MANIFEST" ] || { echo "nothing to uninstall: $MANIFEST not found" >&2; exit 0; }
  # files and links first, then the directories that became empty
  sort -r "$MANIFEST" | while IFS= read -r p; do
    t="$DESTDIR$p"
    if [ -L "$t" ] || [ -f "$t" ]; then rm -f "$t"; fi
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

install -d -m 0755 "$DESTDIR$PREFIX/bin" "$DESTDIR$PREFIX/etc" "$DESTDIR$LEGACY_BINDIR" "$DESTDIR$SHARE"
# Logs: 2770, owned by the service account and its group (setgid: new files keep the group); the
# programs create their files 0640 and open them with O_NOFOLLOW (docs/files.md). Not world-writable:
# a job owner outside the group can plant nothing there.
install -d -m 02770 "$DESTDIR$PREFIX/log"
if id -u "$SWAMP_USER" >/dev/null 2>&1 && getent group "$SWAMP_GROUP" >/dev/null 2>&1; then
  chown "$SWAMP_USER:$SWAMP_GROUP" "$DESTDIR$PREFIX/log" 2>/dev/null || echo "warning: cannot chown $PREFIX/log to $SWAMP_USER:$SWAMP_GROUP" >&2
else
  echo "warning: account $SWAMP_USER or group $SWAMP_GROUP missing: chown $SWAMP_USER:$SWAMP_GROUP $PREFIX/log once they exist" >&2
fi
chmod 02770 "$DESTDIR$PREFIX/log"  # chown clears the setgid bit on some systems
install -d -m 0775 "$DESTDIR$PREFIX/run"
install -m 0755 "$ROOT/dist/bin/swamp" "$DESTDIR$PREFIX/bin/swamp"; record "$PREFIX/bin/swamp"
# The local platform's machines are simulators (canned SCARF result, scripted events) for tests and
# the demo: installed only when asked for with WITH_SIMULATOR=1.
for name in $(node -e 'const c = require(process.argv[1]); const sim = process.argv[2] === "1" ? [] : c.simulators; for (const p of c.programs) if (!sim.includes(p)) console.log(p)' "$ROOT/pkg.config.json" "${WITH_SIMULATOR:-0}"); do
  ln -sfn swamp "$DESTDIR$PREFIX/bin/$name"; record "$PREFIX/bin/$name"
done
for name in execute_execution_record launch_viewer kill_run; do
  ln -sfn "$PREFIX/bin/swamp" "$DESTDIR$LEGACY_BINDIR/$name"; record "$LEGACY_BINDIR/$name"
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
install -d -m 0755 "$DESTDIR/etc/systemd/system" "$DESTDIR/etc/logrotate.d" "$DESTDIR$SHARE/cron"
for u in swamp-drain.service swamp-drain.timer swamp-cleanup.service swamp-cleanup.timer; do
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
