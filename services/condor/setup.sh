#!/bin/sh
# Set up SWAMP's local HTCondor pool: HTCondor 23.9 from Debian trixie in a chroot on the bookworm host
# (docs/htcondor.md). Idempotent: the slow part
# (debootstrap + apt, ~75 s) runs only when condor is not installed yet; the rest rewrites config and
# shims only when their content changed, so a second run takes well under a second.
# Nothing is installed into the host's dpkg database: debootstrap is unpacked from its .deb into a
# temporary directory. Paths are fixed (not inside the clone) so every clone and CI checkout reuses it.
#   SWAMP_CONDOR_CHROOT  chroot            (default /opt/swamp-condor/root)
#   SWAMP_CONDOR_HOST    host-side shims   (default /opt/swamp-condor/host)
#   SWAMP_CONDOR_MIRROR  Debian mirror     (default http://deb.debian.org/debian)
#   SWAMP_CONDOR_SUITE   Debian suite      (default trixie: condor 23.9.6)
#   SWAMP_CONDOR_DOMAIN  UID_DOMAIN/FILESYSTEM_DOMAIN/TRUST_DOMAIN of the pool (default swamp-pool)
#   SWAMP_SERVICE_USER   the service account that owns every job (default swa-daemon; group
#                        SWAMP_SUBMIT_GROUP, default swa-submit), as `make install` creates it
# Production's shape (docs/deployment.md): the pool accepts IDTOKENS; setup mints the service
# account's token ($H/secrets/<user>.token, root 0600) from the pool's signing key, which
# `make install SWAMP_TOKEN=...` copies to each OS user that submits as the service account.
set -eu
R=${SWAMP_CONDOR_CHROOT:-/opt/swamp-condor/root}
H=${SWAMP_CONDOR_HOST:-/opt/swamp-condor/host}
MIRROR=${SWAMP_CONDOR_MIRROR:-http://deb.debian.org/debian}
SUITE=${SWAMP_CONDOR_SUITE:-trixie}
DOMAIN=${SWAMP_CONDOR_DOMAIN:-swamp-pool}
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS="condor_submit condor_q condor_rm condor_history condor_status condor_advertise condor_wait
  condor_qedit condor_release condor_hold condor_config_val condor_version condor_reschedule
  condor_userprio condor_who condor_reconfig"

step() { echo "== $(date +%T) $*"; }
die() { echo "setup.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (chroot, mount)"

# The job owner (the service account): the same name, uid and gid on the host and inside the chroot.
# Created here as `make install CREATE_ACCOUNTS=1` creates it (scripts/install.sh), so the pool can
# run its jobs before the first install.
SUSER=${SWAMP_SERVICE_USER:-swa-daemon}
SGROUP=${SWAMP_SUBMIT_GROUP:-swa-submit}
getent group "$SGROUP" >/dev/null 2>&1 || groupadd --system "$SGROUP"
id -u "$SUSER" >/dev/null 2>&1 || useradd --system --gid "$SGROUP" --create-home --home-dir "/var/lib/$SUSER" \
  --shell /usr/sbin/nologin --comment "SWAMP service account (owns the jobs)" "$SUSER"
SUID=$(id -u "$SUSER")
SGID=$(getent group "$SGROUP" | cut -d: -f3)
SHOME=$(getent passwd "$SUSER" | cut -d: -f6)

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# 1. The chroot with condor (slow path, only once)
if [ ! -x "$R/usr/sbin/condor_master" ]; then
  # Never debootstrap over a tree that has host directories bind-mounted into it (only /proc is ok).
  if awk -v r="$R/" 'index($5, r) == 1 && $5 != r "proc" { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    die "$R has mounts (grep $R /proc/self/mountinfo); run services/condor/pool.sh stop --umount first"
  fi
  if [ ! -x "$R/usr/bin/apt-get" ]; then
    if command -v debootstrap >/dev/null 2>&1; then DBS=debootstrap; else
      step "fetch debootstrap .deb (unpacked only, not installed)"
      (cd "$W" && apt-get download debootstrap >/dev/null 2>&1) ||
        { apt-get update >/dev/null && (cd "$W" && apt-get download debootstrap >/dev/null); }
      dpkg -x "$W"/debootstrap_*.deb "$W/dbs"
      export DEBOOTSTRAP_DIR="$W/dbs/usr/share/debootstrap"
      DBS="$W/dbs/usr/sbin/debootstrap"
    fi
    step "debootstrap --variant=minbase $SUITE $R"
    mkdir -p "$R"
    "$DBS" --variant=minbase "$SUITE" "$R" "$MIRROR" >"$W/debootstrap.log" 2>&1 ||
      { tail -20 "$W/debootstrap.log" >&2; die "debootstrap failed"; }
  fi
  # no service starts from maintainer scripts inside the chroot
  printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod +x "$R/usr/sbin/policy-rc.d"
  mountpoint -q "$R/proc" || mount -t proc proc "$R/proc"
  step "apt-get install condor (in the chroot)"
  chroot "$R" apt-get -q update >"$W/apt.log" 2>&1 || { tail -20 "$W/apt.log" >&2; die "apt-get update failed"; }
  chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends condor \
    >"$W/apt.log" 2>&1 || { tail -20 "$W/apt.log" >&2; die "apt-get install condor failed"; }
  chroot "$R" apt-get clean
fi

# 2. The job owner inside the chroot (same uid/gid/home as on the host; its primary group is the
# submit group, which holds swamp.conf and the run dir)
if ! chroot "$R" getent group "$SGROUP" >/dev/null; then
  chroot "$R" groupadd -g "$SGID" "$SGROUP"
elif [ "$(chroot "$R" getent group "$SGROUP" | cut -d: -f3)" != "$SGID" ]; then
  chroot "$R" groupmod -g "$SGID" "$SGROUP"
fi
if ! chroot "$R" id -u "$SUSER" >/dev/null 2>&1; then
  chroot "$R" useradd -u "$SUID" -g "$SGID" -d "$SHOME" -m -s /bin/bash "$SUSER"
elif [ "$(chroot "$R" id -u "$SUSER")" != "$SUID" ] || [ "$(chroot "$R" id -g "$SUSER")" != "$SGID" ]; then
  chroot "$R" usermod -u "$SUID" -g "$SGID" "$SUSER"
fi
chroot "$R" install -d -o "$SUID" -g "$SGID" "$SHOME"

# Write $2 to $1 only when it differs, so an unchanged setup touches nothing; returns 0 if written.
put() {
  if [ -f "$1" ] && cmp -s "$1" "$2"; then rm -f "$2"; return 1; fi
  mv -f "$2" "$1"; return 0
}

# 3. Pool configuration
changed=0
sed -e "s/@USER@/$SUSER/g" -e "s/@DBUSER@/${SWAMP_DB_OS_USER:-mysql}/g" -e "s/@DOMAIN@/$DOMAIN/g" "$HERE/pool.conf" > "$W/pool.conf"
put "$R/etc/condor/config.d/50-swamp-pool.conf" "$W/pool.conf" && changed=1 || true
chmod 0644 "$R/etc/condor/config.d/50-swamp-pool.conf"

# The pool signing key (the collector would make one at its first start; made here so the token can
# be minted before) and the service account's IDTOKEN, minted from it: what `make install` copies to
# the mysqld user (services.sh). Root-only, on the host side.
install -d -m 0700 "$R/etc/condor/passwords.d" "$H/secrets"
[ -s "$R/etc/condor/passwords.d/POOL" ] ||
  chroot "$R" condor_store_cred add -c -f /etc/condor/passwords.d/POOL -p "$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >/dev/null
chmod 0600 "$R/etc/condor/passwords.d/POOL"
TOKEN="$H/secrets/$SUSER.token"
# a token of another key (the chroot was rebuilt) would be refused: minted again when the key is newer
if [ ! -s "$TOKEN" ] || [ "$R/etc/condor/passwords.d/POOL" -nt "$TOKEN" ]; then
  chroot "$R" condor_token_create -identity "$SUSER@$DOMAIN" -key POOL > "$W/token" || die "condor_token_create failed"
  install -m 0600 "$W/token" "$TOKEN"
fi

# 4. Host side: one shim directory for root and non-root callers, plus the native client config
ARCH=$(chroot "$R" dpkg --print-architecture)
case $ARCH in
  amd64) TRIPLET=x86_64-linux-gnu LDSO=/lib64/ld-linux-x86-64.so.2 ;;
  arm64) TRIPLET=aarch64-linux-gnu LDSO=/lib/ld-linux-aarch64.so.1 ;;
  *) die "unsupported architecture $ARCH" ;;
esac
mkdir -p "$H/bin" "$H/libexec" "$H/etc"
sed -e "s#@CHROOT@#$R#g" -e "s#@HOSTDIR@#$H#g" -e "s#@USER@#$SUSER#g" -e "s#@UID@#$SUID#g" \
    -e "s#@CHROOT_BIN@#$(command -v chroot)#g" -e "s#@GID@#$SGID#g" -e "s#@HOME@#$SHOME#g" -e "s#@LDSO@#$LDSO#g" -e "s#@TRIPLET@#$TRIPLET#g" \
    "$HERE/shim.sh" > "$W/shim"
chmod 0755 "$W/shim"
put "$H/libexec/condor-shim" "$W/shim" || true
for t in $TOOLS; do
  [ "$(readlink "$H/bin/$t" 2>/dev/null)" = ../libexec/condor-shim ] || ln -sfn ../libexec/condor-shim "$H/bin/$t"
done
# The same two paths inside the chroot, pointing at the chroot's own tools and config, so the
# environment printed by pool.sh env (PATH, CONDOR_CONFIG) stays valid for jobs and hooks in there.
mkdir -p "$R$H/bin" "$R$H/etc"
for t in $TOOLS; do
  b=/usr/bin/$t; [ -x "$R$b" ] || b=/usr/sbin/$t
  [ "$(readlink "$R$H/bin/$t" 2>/dev/null)" = "$b" ] || ln -sfn "$b" "$R$H/bin/$t"
done
[ "$(readlink "$R$H/etc/condor_config" 2>/dev/null)" = /etc/condor/condor_config ] ||
  ln -sfn /etc/condor/condor_config "$R$H/etc/condor_config"
CONDOR_IDS="$(chroot "$R" id -u condor).$(chroot "$R" id -g condor)"
cval() { chroot "$R" condor_config_val "$1"; }
cat > "$W/client" <<CFG
# Client-only config for the native form of $H/bin/condor_* (non-root callers on the host).
# Talks to the pool running in $R; written by services/condor/setup.sh.
CONDOR_HOST         = 127.0.0.1
COLLECTOR_HOST      = 127.0.0.1
NETWORK_INTERFACE   = 127.0.0.1
BIND_ALL_INTERFACES = False
ENABLE_IPV6         = False
UID_DOMAIN          = $DOMAIN
FILESYSTEM_DOMAIN   = $DOMAIN
TRUST_DOMAIN        = $DOMAIN
# FS: the caller's own uid. A caller whose client config adds a token directory (the installed
# layout's htcondor_root, services.sh) authenticates with the service account's IDTOKEN instead.
SEC_CLIENT_AUTHENTICATION_METHODS  = FS
SEC_DEFAULT_AUTHENTICATION_METHODS = FS
LOG                 = $R$(cval LOG)
SPOOL               = $R$(cval SPOOL)
LOCK                = $R$(cval LOCK)
HISTORY             = \$(SPOOL)/history
# the host has no "condor" account; root needs the ids of the chroot's
CONDOR_IDS          = $CONDOR_IDS
CONDOR_Q_DASH_BATCH_IS_DEFAULT = False
CONDOR_Q_ONLY_MY_JOBS          = False
CFG
put "$H/etc/condor_config" "$W/client" || true
chmod 0644 "$H/etc/condor_config"

# 5. A running pool picks up a changed config without a restart.
if [ $changed = 1 ] && [ -s "$R/run/condor/condor_master.pid" ] &&
   kill -0 "$(cat "$R/run/condor/condor_master.pid")" 2>/dev/null; then
  step "config changed: condor_reconfig"
  chroot "$R" condor_reconfig >/dev/null || true
fi
date -u +%FT%TZ > "$H/setup.done"
step "setup done: $(chroot "$R" condor_version | head -1)"
