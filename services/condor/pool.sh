#!/bin/sh
# Start, stop and inspect SWAMP's local HTCondor pool (set up by services/condor/setup.sh).
#   pool.sh start              mount /proc,/sys,/dev,/tmp and $SWAMP_SHARED_DIRS into the chroot, start
#                              condor_master, wait until the startd and the schedd answer (~4 s);
#                              already running = success (mounts are still brought up to date)
#   pool.sh stop [--umount]    condor_off -fast, wait for condor_master to exit; --umount also removes
#                              every mount under the chroot
#   pool.sh restart
#   pool.sh status             ads in the collector and the shared directories; exit 1 if not running
#   pool.sh env                export lines for callers (PATH to the shims, CONDOR_CONFIG, ...)
# SWAMP_SHARED_DIRS: host directories bind-mounted at the same path inside (space separated), e.g. the
# project root, so dist/bin and .local/swamp/* are visible to jobs and hooks. When set, mounts of other
# directories from earlier starts (another clone) are removed; when unset, existing mounts are kept.
set -eu
R=${SWAMP_CONDOR_CHROOT:-/opt/swamp-condor/root}
H=${SWAMP_CONDOR_HOST:-/opt/swamp-condor/host}
PIDFILE=$R/run/condor/condor_master.pid

die() { echo "pool.sh: $*" >&2; exit 1; }
need_setup() {
  [ -x "$R/usr/sbin/condor_master" ] && [ -x "$H/libexec/condor-shim" ] ||
    die "HTCondor chroot not set up; run services/condor/setup.sh first"
  [ "$(id -u)" = 0 ] || die "must run as root (chroot, mount)"
}
master_pid() {
  [ -s "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = condor_master ] && echo "$pid"
}
# Mount points below the chroot, deepest first (field 5 of mountinfo; octal escapes decoded).
mounts_under() {
  awk -v r="$R/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo |
    while IFS= read -r m; do printf '%b\n' "$m"; done | sort -r
}
# Bind mounts of shared directories: everything under the chroot but the system mounts.
shared_mounts() {
  mounts_under | while IFS= read -r m; do
    case $m in "$R/proc"|"$R/proc/"*|"$R/sys"|"$R/sys/"*|"$R/dev"|"$R/dev/"*|"$R/tmp") ;; *) echo "${m#"$R"}" ;; esac
  done
}
mount_all() {
  mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
  mountpoint -q "$R/sys" || mount -t sysfs sysfs "$R/sys"
  mountpoint -q "$R/dev" || { mount --rbind /dev "$R/dev"; mount --make-rslave "$R/dev"; }
  mountpoint -q "$R/tmp" || mount --bind /tmp "$R/tmp"
  [ -n "${SWAMP_SHARED_DIRS+set}" ] || return 0
  want=""
  for d in $SWAMP_SHARED_DIRS; do
    [ -d "$d" ] || die "SWAMP_SHARED_DIRS: $d is not a directory"
    d=$(readlink -f "$d")
    case $d in
      /tmp|/tmp/*) continue ;;   # already visible through the /tmp bind mount
      /|/proc*|/sys*|/dev*) die "SWAMP_SHARED_DIRS: refusing to share $d" ;;
    esac
    case $R/ in "$d"/*) die "SWAMP_SHARED_DIRS: $d contains the chroot" ;; esac
    case $d/ in "$R"/*) die "SWAMP_SHARED_DIRS: $d is inside the chroot" ;; esac
    want="$want $d"
  done
  # Mounts left by an earlier start with other directories (e.g. another clone) go away, lazily so a
  # process still using one does not make start fail.
  shared_mounts | while IFS= read -r m; do
    case " $want " in *" $m "*) ;; *) umount "$R$m" 2>/dev/null || umount -l "$R$m" ;; esac
  done
  for d in $want; do
    # a mount whose directory was deleted and made again at the same path (a re-cloned checkout)
    # still shows the old, empty one inside: jobs then find no hooks. Mount the current one.
    if mountpoint -q "$R$d" && [ "$(stat -c %d:%i "$d")" != "$(stat -c %d:%i "$R$d" 2>/dev/null)" ]; then
      umount "$R$d" 2>/dev/null || umount -l "$R$d"
    fi
    mountpoint -q "$R$d" && continue
    mkdir -p "$R$d"
    mount --bind "$d" "$R$d"
  done
}
umount_all() {
  # deepest first; only unmounting, never deleting anything below the chroot
  mounts_under | while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "pool.sh: could not unmount $m" >&2
  done
}
answers() { chroot "$R" condor_status -af Name 2>/dev/null | grep -q '^slot' && chroot "$R" condor_q -totals >/dev/null 2>&1; }

cmd=${1:-}
case $cmd in
start)
  need_setup
  mount_all
  # debootstrap's /etc/hosts lacks the host name, which the daemons resolve
  hn=$(hostname)
  grep -q "[[:space:]]$hn\$" "$R/etc/hosts" || echo "127.0.0.1 $hn" >> "$R/etc/hosts"
  chroot "$R" install -d -o condor -g condor -m 0775 /run/condor /var/lock/condor
  if master_pid >/dev/null; then
    i=0; until answers; do i=$((i+1)); [ $i -gt 150 ] && die "condor_master runs but the pool does not answer"; sleep 0.2; done
    echo "already running"; exit 0
  fi
  rm -f "$PIDFILE"
  # not with an inherited descriptor of the caller's flock (see services/mariadb/db.sh)
  chroot "$R" /usr/sbin/condor_master -pidfile /run/condor/condor_master.pid 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
  i=0; until answers; do
    i=$((i+1))
    [ $i -gt 300 ] && die "pool did not come up in 60 s (logs: $R/var/log/condor)"
    sleep 0.2
  done
  echo "pool up"
  ;;
stop)
  [ "$(id -u)" = 0 ] || die "must run as root"
  if pid=$(master_pid); then
    chroot "$R" condor_off -fast -master >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    i=0; while kill -0 "$pid" 2>/dev/null; do
      i=$((i+1)); [ $i -gt 150 ] && { kill -9 "$pid" 2>/dev/null || true; break; }; sleep 0.2; done
    echo "pool stopped"
  else
    echo "not running"
  fi
  rm -f "$PIDFILE"
  [ "${2:-}" != --umount ] || umount_all
  ;;
restart)
  "$0" stop; exec "$0" start
  ;;
status)
  if pid=$(master_pid); then echo "condor_master pid $pid"; else echo "not running"; exit 1; fi
  echo "shared dirs: $(shared_mounts | tr '\n' ' ')"
  chroot "$R" condor_status -any -af MyType Name
  ;;
env)
  cat <<ENV
export SWAMP_CONDOR_CHROOT='$R'
export SWAMP_CONDOR_HOST='$H'
export CONDOR_CONFIG='$H/etc/condor_config'
export PATH="$H/bin:\$PATH"
ENV
  ;;
*)
  echo "usage: $0 start|stop [--umount]|restart|status|env" >&2; exit 2 ;;
esac
