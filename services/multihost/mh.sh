#!/bin/bash
# A SWAMP facility on one machine: five "hosts" in network namespaces, each with its own address,
# host name and (for the HTCondor hosts) its own root: an overlay of the local pool's trixie chroot
# (services/condor/setup.sh) with its own condor_config, local directories and accounts. The local
# single-host pool is neither changed nor restarted: the overlays leave the chroot as it is, every
# mount lives in a mount namespace of its host, and each host has its own network stack.
#
#   data    10.231.17.2  MariaDB (mariadbd as mysql) + the installed programs the DB calls; HTCondor
#                        clients only, holding nothing but an IDTOKEN of the service account
#   submit  10.231.17.3  schedd
#   cm      10.231.17.4  collector + negotiator (also the SWAMP status collector)
#   exec1   10.231.17.5  startd (jobs and hooks run here, as the service account)
#   exec2   10.231.17.6  startd
#   (root namespace: 10.231.17.1 on the bridge, the admin's/test runner's view)
#
# Daemons authenticate each other with IDTOKENS minted from one pool signing key (held by the
# daemon hosts only); clients with an IDTOKEN; SEC_DEFAULT_AUTHENTICATION = REQUIRED.
# Design and settings: docs/deployment.md.
#
#   mh.sh up          build the topology and start everything (idempotent: a running host is kept)
#   mh.sh up-sib      SWAMP-in-a-Box in production's shape: one more namespaced host `sib` (10.231.17.7)
#                     with every HTCondor role, MariaDB as mysql, the programs from make install, no
#                     spooling; jobs owned by the service account through the same token
#   mh.sh down        stop the daemons and mariadbd, remove namespaces and the bridge (keeps files)
#   mh.sh status      what runs where
#   mh.sh env         export lines for tests (SWAMP_MH_*)
#   mh.sh exec HOST CMD...   run CMD on HOST (HTCondor hosts: inside its root, as root)
#   mh.sh data-tool TOOL ARGS...  an HTCondor tool on the data host as the mysqld user (its token)
# Environment: SWAMP_MH_DIR (default /var/lib/swamp-mh), SWAMP_DB_PORT (default 3416),
# SWAMP_SERVICE_USER (swa-daemon), SWAMP_SUBMIT_GROUP (swa-submit), SWAMP_DB_OS_USER (mysql).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
B=${SWAMP_MH_DIR:-/var/lib/swamp-mh}
LOWER=${SWAMP_CONDOR_CHROOT:-/opt/swamp-condor/root}
NET=10.231.17
BR=swmh0
DOMAIN=swamp-mh.test
POOL_DOMAIN=swamp-pool
SVC=${SWAMP_SERVICE_USER:-swa-daemon}
GRP=${SWAMP_SUBMIT_GROUP:-swa-submit}
DBU=${SWAMP_DB_OS_USER:-mysql}
DB_PORT=${SWAMP_DB_PORT:-3416}
INST=$B/inst                     # make install DESTDIR=$INST (PREFIX /opt/swamp)
PREFIX_DIR=$INST/opt/swamp       # where the installed programs are, on every host (same path)
SHARED=$B/shared                 # the facility's shared file system (legacy /swamp): results, outgoing
LDSO=/lib64/ld-linux-x86-64.so.2
LIBS="$LOWER/usr/lib:$LOWER/usr/lib/x86_64-linux-gnu:$LOWER/lib/x86_64-linux-gnu"
CONDOR_HOSTS="cm submit exec1 exec2"

die() { echo "mh.sh: $*" >&2; exit 1; }
step() { echo "== $(date +%T) $*" >&2; }
ip_of() { case $1 in data) echo $NET.2 ;; submit) echo $NET.3 ;; cm) echo $NET.4 ;; exec1) echo $NET.5 ;; exec2) echo $NET.6 ;; sib) echo $NET.7 ;; admin) echo $NET.1 ;; *) die "unknown host $1" ;; esac; }
ns_of() { echo "swmh-$1"; }
fqdn() { echo "$1.$DOMAIN"; }
pidfile_of() { echo "$B/$1/upper/var/lib/swamp-host/run/condor_master.pid"; }
# A native HTCondor tool from the chroot (host-side, any uid), with the given config.
native() { local cfg=$1 tool=$2; shift 2; local b=$LOWER/usr/bin/$tool; [ -x "$b" ] || b=$LOWER/usr/sbin/$tool
  CONDOR_CONFIG=$cfg "$LOWER$LDSO" --library-path "$LIBS" "$b" "$@"; }
chroot_ids() { echo "$(awk -F: '$1 == "condor" { print $3 }' "$LOWER/etc/passwd").$(awk -F: '$1 == "condor" { print $4 }' "$LOWER/etc/passwd")"; }
master_pid() { local f; f=$(pidfile_of "$1"); [ -s "$f" ] || return 1; local p; p=$(cat "$f")
  kill -0 "$p" 2>/dev/null && [ "$(cat /proc/"$p"/comm 2>/dev/null)" = condor_master ] && echo "$p"; }

# make install sets the run dir's default ACL (docs/deployment.md): setfacl (Debian package acl)
need_setfacl() {
  command -v setfacl >/dev/null && return 0
  apt-get install -y -q acl >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q acl >/dev/null 2>&1; } ||
    die "setfacl missing and apt-get install acl failed"
}

# ---- accounts on the machine (the same uids inside every host root) ------------------------------
accounts() {
  getent group "$GRP" >/dev/null || groupadd --system "$GRP"
  id -u "$SVC" >/dev/null 2>&1 || useradd --system --create-home --home-dir "/var/lib/$SVC" --shell /bin/bash -g "$GRP" "$SVC"
  id -u "$DBU" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$DBU"
  # the mysqld user may hand work over (read the service account's token, write the run dir): its
  # membership in $GRP is the only right it has
  id -nG "$DBU" | tr ' ' '\n' | grep -qx "$GRP" || usermod -aG "$GRP" "$DBU"
}

# ---- network ---------------------------------------------------------------------------------------
network() {
  local h
  ip link show "$BR" >/dev/null 2>&1 || { ip link add "$BR" type bridge; ip addr add "$NET.1/24" dev "$BR"; }
  ip link set "$BR" up
  for h in data $CONDOR_HOSTS; do
    local ns; ns=$(ns_of "$h")
    # ip netns exec bind-mounts /etc/netns/<ns>/hosts over /etc/hosts for the data host's programs
    # (plus the machine's own name: tools started with a plain `ip netns exec` keep it, and an
    # unresolvable own name costs them DNS time-outs in a namespace without a resolver)
    mkdir -p "/etc/netns/$ns"; { hosts_file; echo "$(ip_of "$h") $(hostname)"; } > "/etc/netns/$ns/hosts"
    ip netns list | grep -qx "$ns\( .*\)\?" || ip netns add "$ns"
    if ! ip netns exec "$ns" ip link show eth0 >/dev/null 2>&1; then
      ip link del "vh-$h" 2>/dev/null || true
      ip link add "vh-$h" type veth peer name eth0 netns "$ns"
      ip link set "vh-$h" master "$BR" up
      ip netns exec "$ns" ip addr add "$(ip_of "$h")/24" dev eth0
    fi
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip link set eth0 up
  done
}
hosts_file() {
  local h
  echo "127.0.0.1 localhost"
  for h in admin data $CONDOR_HOSTS sib; do echo "$(ip_of "$h") $(fqdn "$h") $h"; done
}

# ---- keys and tokens ---------------------------------------------------------------------------------
secrets() {
  install -d -m 0700 "$B/secrets"
  cat > "$B/secrets/keygen.conf" <<EOF
SEC_TOKEN_POOL_SIGNING_KEY_FILE = $B/secrets/POOL
SEC_PASSWORD_DIRECTORY = $B/secrets
TRUST_DOMAIN = $POOL_DOMAIN
UID_DOMAIN = $POOL_DOMAIN
EOF
  [ -s "$B/secrets/POOL" ] || native "$B/secrets/keygen.conf" condor_store_cred add -c -f "$B/secrets/POOL" -p "$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >/dev/null
  [ -s "$B/secrets/$SVC.token" ] ||
    native "$B/secrets/keygen.conf" condor_token_create -identity "$SVC@$POOL_DOMAIN" -key POOL > "$B/secrets/$SVC.token"
  chmod 0600 "$B/secrets/POOL" "$B/secrets/$SVC.token"
}

# Directories every host sees at the same path, made before any host binds them.
layout() {
  install -d -m 0755 "$B/data" "$INST" "$PREFIX_DIR" "$PREFIX_DIR/bin" "$PREFIX_DIR/etc"
  # store: package and tool archives (legacy /swamp/store), read by the hooks on the execute hosts
  install -d -m 0755 "$SHARED" "$SHARED/working" "$SHARED/store"
  install -d -m 2775 -o "$SVC" -g "$GRP" "$SHARED/working/results" "$SHARED/outgoing" "$SHARED/projects" "$SHARED/metrics"
  # (the data host's run, log and token dirs: make install, install_data)
  [ -s "$B/secrets/exec-db.password" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$B/secrets/exec-db.password"
  chmod 0600 "$B/secrets/exec-db.password"
}

# SiB: owners, groups and modes of the run, log, data and token directories come from make install
# (install_data); only the package store of the test is made here.
layout_sib() {
  dvars sib
  install -d -m 0755 "$D" "$DINST" "$DSHARED" "$DSHARED/store"
}

# ---- HTCondor host roots -------------------------------------------------------------------------------
condor_config() {
  local h=$1 ip cmip; ip=$(ip_of "$h"); cmip=$(ip_of cm)
  [ "$h" = sib ] && cmip=$ip
  cat <<EOF
# $h.$DOMAIN: written by services/multihost/mh.sh (does not include the chroot's config.d)
RELEASE_DIR = /usr
LIBEXEC = /usr/libexec/condor
SBIN = /usr/sbin
BIN = /usr/bin
LIB = /usr/lib/condor
SHARE = /usr/share/condor
ETC = /etc/condor
LOCAL_DIR = /var/lib/swamp-host
LOG = \$(LOCAL_DIR)/log
SPOOL = \$(LOCAL_DIR)/spool
EXECUTE = \$(LOCAL_DIR)/execute
LOCK = \$(LOCAL_DIR)/lock
RUN = \$(LOCAL_DIR)/run
CRED_STORE_DIR = \$(LOCAL_DIR)/cred_dir
HISTORY = \$(SPOOL)/history
NETWORK_INTERFACE = $ip
BIND_ALL_INTERFACES = False
ENABLE_IPV6 = False
CONDOR_HOST = $cmip
UID_DOMAIN = $POOL_DOMAIN
FILESYSTEM_DOMAIN = $POOL_DOMAIN
TRUST_DOMAIN = $POOL_DOMAIN

# Security: every connection authenticated (IDTOKENS between hosts, FS for local admin tools)
SEC_DEFAULT_AUTHENTICATION = REQUIRED
SEC_DEFAULT_INTEGRITY = REQUIRED
SEC_DEFAULT_AUTHENTICATION_METHODS = IDTOKENS, FS
SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS, FS
SEC_TOKEN_POOL_SIGNING_KEY_FILE = /etc/condor/passwords.d/POOL
SEC_TOKEN_DIRECTORY = /etc/condor/tokens.d
SEC_TOKEN_SYSTEM_DIRECTORY = /etc/condor/tokens.d
# daemons minting tokens from the pool key authenticate as condor@password (HTCondor 23.9)
ALLOW_READ = *@$POOL_DOMAIN condor@password
ALLOW_WRITE = *@$POOL_DOMAIN
ALLOW_DAEMON = condor@password condor@$POOL_DOMAIN
ALLOW_NEGOTIATOR = condor@password condor@$POOL_DOMAIN
ALLOW_ADMINISTRATOR = root@$POOL_DOMAIN condor@$POOL_DOMAIN condor@password

SCHEDD_INTERVAL = 5
SCHEDD_MIN_INTERVAL = 1
NEGOTIATOR_INTERVAL = 2
NEGOTIATOR_MIN_INTERVAL = 1
NEGOTIATOR_CYCLE_DELAY = 1
STARTER_UPDATE_INTERVAL = 5
SHADOW_QUEUE_UPDATE_INTERVAL = 10
UPDATE_INTERVAL = 5
PERIODIC_EXPR_INTERVAL = 5
RUNBENCHMARKS = 0
JOB_START_DELAY = 0
CONDOR_Q_DASH_BATCH_IS_DEFAULT = False
CONDOR_Q_ONLY_MY_JOBS = False
MOUNT_UNDER_SCRATCH =
MAIL = /bin/true
EOF
  case $h in
    cm) cat <<EOF
use ROLE: CentralManager
# the SWAMP status collector: the service account publishes and withdraws status ads
# (UPDATE_AD_GENERIC / INVALIDATE_ADS_GENERIC need DAEMON level)
ALLOW_DAEMON = \$(ALLOW_DAEMON) $SVC@$POOL_DOMAIN
EOF
    ;;
    submit) echo "use ROLE: Submit" ;;
    sib) cat <<EOF
# SWAMP-in-a-Box: every role on one host
use ROLE: CentralManager
use ROLE: Submit
use ROLE: Execute
NUM_CPUS = 4
ALLOW_DAEMON = \$(ALLOW_DAEMON) $SVC@$POOL_DOMAIN
SWAMP_LocalPool = True
STARTD_ATTRS = \$(STARTD_ATTRS) SWAMP_LocalPool
EOF
    ;;
    exec*) cat <<EOF
use ROLE: Execute
NUM_CPUS = 4
# jobs run as their Owner (the service account), not as nobody: the submitter's UID_DOMAIN is ours
TRUST_UID_DOMAIN = True
SWAMP_LocalPool = True
STARTD_ATTRS = \$(STARTD_ATTRS) SWAMP_LocalPool
# the simulated viewer machine serves on this host's own address, as a viewer VM has its own on the
# facility's network: launch_viewer on the data host uploads results to it
STARTER_JOB_ENVIRONMENT = "SWAMP_VIEWER_MACHINE_HOST=own"
EOF
    ;;
  esac
}

# swamp.conf of an execute host: what the hooks read (their own DB account, the shared results)
exec_swamp_conf() {
  cat <<EOF
# swamp.conf of an execute host (hooks and the local-platform machine); written by mh.sh
SWAMPState = ON
SWAMP-in-a-Box = no
logDir = /var/log/swamp
runDir = /var/lib/swamp-run
binDir = $PREFIX_DIR/bin
resultsFolder = $SHARED/working/results/
outgoingFolder = $SHARED/outgoing/
projectsFolder = $SHARED/projects/
metricsFolder = $SHARED/metrics/
htcondor_root = /opt/swamp-condor/host
htcondor_collector_host = $(ip_of cm)
htcondor_condor_manager = $(ip_of cm)
htcondor_submit_node = $(fqdn submit)
preferred_platform_type = local
master.viewer = codedx-3.5.5-viewer
master.viewer.type = local
dbPerlDsnHost = $(ip_of data)
dbPerlDsnPort = $DB_PORT
dbPerlUser = swamp_exec
dbPerlPass = $(cat "$B/secrets/exec-db.password")
computeBOGChecksums = no
useTimingDB = no
useMongoDB = no
vmip_lookup_attempts = 50
vmip_lookup_sleep = 1
EOF
}

prepare_root() {
  local h=$1 u=$B/$1/upper
  mkdir -p "$u" "$B/$h/work" "$B/$h/root"
  install -d "$u/etc/condor/passwords.d" "$u/etc/condor/tokens.d" "$u/var/lib/swamp-host"
  condor_config "$h" > "$u/etc/condor/condor_config"
  # 00-htcondor-9.0.config and the local pool's 50-swamp-pool.conf are hidden, not read
  : > "$u/etc/condor/condor_config.local"
  hosts_file > "$u/etc/hosts"
  fqdn "$h" > "$u/etc/hostname"
  # the service account with the machine's uid/gid, added to copies of the chroot's account files
  local uid gid; uid=$(id -u "$SVC"); gid=$(getent group "$GRP" | cut -d: -f3)
  grep -v "^$SVC:" "$LOWER/etc/passwd" > "$u/etc/passwd"; echo "$SVC:x:$uid:$gid::/var/lib/$SVC:/bin/bash" >> "$u/etc/passwd"
  grep -v "^$GRP:" "$LOWER/etc/group" > "$u/etc/group"; echo "$GRP:x:$gid:" >> "$u/etc/group"
  chmod 0644 "$u/etc/passwd" "$u/etc/group"
  install -m 0600 "$B/secrets/POOL" "$u/etc/condor/passwords.d/POOL"
  if [ "$h" = sib ]; then
    dvars sib
    install -m 0600 -o "$SVC" -g "$GRP" "$B/secrets/$SVC.token" "$u/etc/condor/tokens.d/$SVC"
    install -d -m 0755 "$u$DINST" "$u/var/lib/$SVC"
    chown "$SVC:$GRP" "$u/var/lib/$SVC"
    # swamp.conf's htcondor_root as the hooks see it in here: the root's own tools and config
    install -d -m 0755 "$u$D/htcondor/bin" "$u$D/htcondor/etc"
    local t b
    for t in condor_submit condor_q condor_rm condor_history condor_status condor_advertise condor_wait condor_config_val; do
      b=/usr/bin/$t; [ -x "$LOWER$b" ] || b=/usr/sbin/$t
      ln -sfn "$b" "$u$D/htcondor/bin/$t"
    done
    ln -sfn /etc/condor/condor_config "$u$D/htcondor/etc/condor_config"
  fi
  case $h in exec*)
    # the hooks (as the service account) advertise status ads and query the queue with its token
    install -m 0600 -o "$SVC" -g "$GRP" "$B/secrets/$SVC.token" "$u/etc/condor/tokens.d/$SVC"
    install -d -m 0755 "$u$PREFIX_DIR/bin" "$u$PREFIX_DIR/etc" "$u$SHARED" "$u/var/lib/$SVC"
    chown "$SVC:$GRP" "$u/var/lib/$SVC"
    install -d -m 01777 "$u/var/log/swamp"
    exec_conf "$h"
    ;;
  esac
}

# An execute host's swamp.conf, rewritten in place in its upper layer (also on a running host: the
# hooks read it per job)
exec_conf() {
  local f=$B/$1/upper$PREFIX_DIR/etc/swamp.conf
  exec_swamp_conf > "$f"
  chown "root:$GRP" "$f"; chmod 0640 "$f"
}

# A running host: its condor_config and (execute hosts) swamp.conf as this script writes them now;
# a changed condor_config is rewritten in its upper layer and the daemons reconfigured.
refresh_host() {
  local h=$1 f=$B/$1/upper/etc/condor/condor_config new
  new=$(condor_config "$h")
  if [ "$new" != "$(cat "$f" 2>/dev/null)" ]; then
    printf '%s\n' "$new" > "$f"
    host_exec "$h" /usr/sbin/condor_reconfig >/dev/null 2>&1 || echo "mh.sh: condor_reconfig on $h failed" >&2
  fi
  case $h in exec*) exec_conf "$h" ;; esac
}

# Runs inside the host's network, UTS and mount namespaces (see start_host).
host_init() {
  local h=$1 r=$B/$1/root
  hostname "$(fqdn "$h")"
  mount --make-rprivate /
  mountpoint -q "$r" || mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$B/$h/upper,workdir=$B/$h/work" "$r"
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"
  mount --rbind /dev "$r/dev"
  mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
  if [ "$h" = sib ]; then
    # one host: the schedd reads the run dir, the hooks see the same installed tree and directories
    dvars sib
    mount --bind "$DINST" "$r$DINST"
    mount --bind "$DPREFIX/bin" "$r$DPREFIX/bin"; mount -o remount,bind,ro "$r$DPREFIX/bin"
  fi
  case $h in exec*)
    mount --bind "$PREFIX_DIR/bin" "$r$PREFIX_DIR/bin"; mount -o remount,bind,ro "$r$PREFIX_DIR/bin"
    mount --bind "$SHARED" "$r$SHARED"
    ;;
  esac
  chroot "$r" install -d -o condor -g condor -m 0755 /var/lib/swamp-host /var/lib/swamp-host/log \
    /var/lib/swamp-host/spool /var/lib/swamp-host/execute /var/lib/swamp-host/lock /var/lib/swamp-host/run /var/lib/swamp-host/cred_dir
  chroot "$r" install -d -o condor -g condor -m 0775 /run/condor /var/lock/condor
  chroot "$r" /usr/sbin/condor_master -pidfile /var/lib/swamp-host/run/condor_master.pid
}

start_host() {
  local h=$1
  if master_pid "$h" >/dev/null; then refresh_host "$h"; return 0; fi
  prepare_root "$h"
  rm -f "$(pidfile_of "$h")"
  ip netns exec "$(ns_of "$h")" unshare --uts --mount --propagation private "$0" __host_init "$h"
}

# The data side of a shape: `data` (facility) or `sib` (one host: data side and every HTCondor role).
dvars() {
  DH=$1; D=$B/$1
  if [ "$1" = sib ]; then
    # everything where make install DESTDIR=$DINST put it: run and log dirs, the data dirs, tokens
    DINST=$B/sib-inst; DPREFIX=$DINST/opt/swamp; DSHARED=$DINST/swamp; DRUN=$DPREFIX/run; DLOG=$DPREFIX/log
    DTOKENS=$DPREFIX/etc/tokens.d; DCM=$(ip_of sib); DSIBFLAG=yes
  else
    DINST=$INST; DPREFIX=$DINST/opt/swamp; DSHARED=$SHARED; DRUN=$DPREFIX/run; DLOG=$DPREFIX/log
    DTOKENS=$DPREFIX/etc/tokens.d; DCM=$(ip_of cm); DSIBFLAG=no
  fi
}

# The data host (facility) or the one host (SiB): `make install DESTDIR=$DINST` as production runs it
# (accounts, groups, owners and modes of the run, log and token dirs, the run dir's default ACL, the
# token copies; SiB: the data dirs too, the facility's are its shared file system, layout), every
# time: the tests check what it laid out. With the local platform's simulated machines: the only
# machines that run here. The execute hosts bind $PREFIX_DIR/bin of the facility's install tree.
install_data() {
  local out dirs=""
  [ "$DH" = sib ] && dirs="/swamp/working/results /swamp/outgoing /swamp/projects /swamp/metrics"
  # (scripts/install.sh is what `make install` runs, without make's rebuild check)
  out=$(WITH_SIMULATOR=1 CREATE_ACCOUNTS=1 SWAMP_USER="$SVC" SWAMP_GROUP="$GRP" MYSQLD_USER="$DBU" \
      DATA_DIRS="$dirs" TOKEN_USERS="$DBU $SVC root" \
      SWAMP_TOKEN="$B/secrets/$SVC.token" "$PROJECT/scripts/install.sh" "$DINST" /opt/swamp /usr/local/bin 2>&1) ||
    { echo "$out" >&2; die "make install DESTDIR=$DINST failed"; }
}

# ---- the data host --------------------------------------------------------------------------------------
data_host() {
  dvars "$1"
  local d=$D
  install -d -m 0755 "$d" "$d/htcondor" "$d/htcondor/bin" "$d/htcondor/etc"
  # The service account's token, one copy per OS user that may hand work over: the mysqld user (its
  # programs), the service account (drain timer) and root (admins), in $DTOKENS/<user> (make install,
  # install_data). HTCondor reads a token only from a file its reader owns with mode 0600, so a
  # group-readable file is not an option; the client config picks <dir>/$(USERNAME).
  cat > "$d/htcondor/etc/condor_config" <<EOF
# HTCondor client config of the data host (no daemons here); written by mh.sh
CONDOR_HOST = $DCM
COLLECTOR_HOST = \$(CONDOR_HOST)
NETWORK_INTERFACE = $(ip_of "$DH")
BIND_ALL_INTERFACES = False
ENABLE_IPV6 = False
UID_DOMAIN = $POOL_DOMAIN
FILESYSTEM_DOMAIN = $POOL_DOMAIN
TRUST_DOMAIN = $POOL_DOMAIN
SEC_DEFAULT_AUTHENTICATION = REQUIRED
SEC_DEFAULT_INTEGRITY = REQUIRED
SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS
SEC_DEFAULT_AUTHENTICATION_METHODS = IDTOKENS
SEC_TOKEN_DIRECTORY = $DTOKENS/\$(USERNAME)
SEC_TOKEN_SYSTEM_DIRECTORY = $DTOKENS/root
CONDOR_Q_DASH_BATCH_IS_DEFAULT = False
CONDOR_Q_ONLY_MY_JOBS = False
# the machine has no "condor" account; the tools want one
CONDOR_IDS = $(chroot_ids)
EOF
  # SiB: the schedd's address file is inside its root, not here; the collector names it instead
  [ "$DH" = sib ] && echo "SCHEDD_HOST = $(fqdn sib)" >> "$d/htcondor/etc/condor_config"
  cat > "$d/htcondor/bin/condor-native" <<EOF
#!/bin/sh
# An HTCondor tool of the chroot, run natively (any uid) with the data host's client config.
t=\${0##*/}; b=$LOWER/usr/bin/\$t; [ -x "\$b" ] || b=$LOWER/usr/sbin/\$t
export CONDOR_CONFIG="\${CONDOR_CONFIG:-$d/htcondor/etc/condor_config}"
exec "$LOWER$LDSO" --library-path "$LIBS" "\$b" "\$@"
EOF
  chmod 0755 "$d/htcondor/bin/condor-native"
  for t in condor_submit condor_q condor_rm condor_history condor_status condor_advertise condor_wait \
           condor_qedit condor_release condor_hold condor_config_val condor_version condor_transfer_data \
           condor_reschedule condor_ping condor_token_list; do
    ln -sfn condor-native "$d/htcondor/bin/$t"
  done
  # the same tools for root in the root namespace (admin, tests): run on the data host
  install -d -m 0700 "$d/admin-bin"
  printf '#!/bin/sh\n# an HTCondor tool run on the data host (as the caller, with its token)\nexec ip netns exec %s %s/htcondor/bin/"${0##*/}" "$@"\n' \
    "$(ns_of "$DH")" "$d" > "$d/admin-bin/condor-on-data"
  chmod 0755 "$d/admin-bin/condor-on-data"
  for t in "$d"/htcondor/bin/condor_*; do ln -sfn condor-on-data "$d/admin-bin/${t##*/}"; done
  # our programs as `make install` lays them out (DESTDIR=$INST); the legacy names stay inside $INST
  [ -x "$PROJECT/dist/bin/swamp" ] || die "dist/bin/swamp missing: make build"
  install_data
  # mariadbd (as $DBU) in the data host's namespaces; its programs inherit them
  local ns; ns=$(ns_of "$DH")
  # its own UDF config (allowlist of its own bin dir): the plugin dir's is the local instance's
  SWAMP_DB_DIR=$d/mariadb SWAMP_DB_PORT=$DB_PORT SWAMP_BIN_DIR=$DPREFIX/bin SWAMP_DB_BIND=0.0.0.0 \
    SWAMP_UDF_CONF=$d/mariadb/sys_udf.conf SWAMP_UDF_CONF_GENERATE=1 \
    SWAMP_DB_OS_USER=$DBU ip netns exec "$ns" unshare --uts "$0" __data_db "$DH"
  local pw; pw=$(cat "$d/mariadb/swamp.password")
  local pool=""
  [ "$DH" = sib ] || pool="htcondor_collector_host = $(ip_of cm)
htcondor_condor_manager = $(ip_of cm)
htcondor_submit_node = $(fqdn submit)"
  cat > "$DPREFIX/etc/swamp.conf.new" <<EOF
# swamp.conf of the $DH host (the programs the DB calls; SiB: the hooks too); written by mh.sh
SWAMPState = ON
SWAMP-in-a-Box = $DSIBFLAG
swampDir = $DPREFIX
logDir = $DLOG
runDir = $DRUN
binDir = $DPREFIX/bin
resultsFolder = $DSHARED/working/results/
outgoingFolder = $DSHARED/outgoing/
projectsFolder = $DSHARED/projects/
metricsFolder = $DSHARED/metrics/
# the facility's shared data tree plays the legacy shared /swamp: files the DB names live below it
trustedDataDirs = /swamp/ $DSHARED/
htcondor_root = $d/htcondor
$pool
htcondor_job_owner = $SVC
preferred_platform_type = local
platformImagesDir = $DSHARED/platforms/images
dockerImagesFile = $DPREFIX/etc/swamp_docker_images.txt
master.viewer = codedx-3.5.5-viewer
master.viewer.type = local
htcondor_assessment_max_retries = 2
dbPerlDsnHost = 127.0.0.1
dbPerlDsnPort = $DB_PORT
dbPerlUser = swamp
dbPerlPass = $pw
computeBOGChecksums = no
useTimingDB = no
useMongoDB = no
vmip_lookup_attempts = 50
vmip_lookup_sleep = 1
EOF
  chown "root:$GRP" "$DPREFIX/etc/swamp.conf.new"; chmod 0640 "$DPREFIX/etc/swamp.conf.new"
  mv -f "$DPREFIX/etc/swamp.conf.new" "$DPREFIX/etc/swamp.conf"
}

# Runs in the data host's namespaces: host name, then mariadbd through services/mariadb/db.sh.
data_db() {
  hostname "$(fqdn "$1")"
  "$PROJECT/services/mariadb/db.sh" start >&2
  local ep; ep=$(cat "$B/secrets/exec-db.password")
  # the execute hosts' hooks: their own account, from the facility's network only
  "$PROJECT/services/mariadb/db.sh" sql --batch <<EOF
CREATE USER IF NOT EXISTS 'swamp_exec'@'$NET.%';
ALTER USER 'swamp_exec'@'$NET.%' IDENTIFIED BY '$ep';
GRANT SELECT, INSERT, UPDATE, EXECUTE ON assessment.* TO 'swamp_exec'@'$NET.%';
GRANT SELECT, INSERT, UPDATE, EXECUTE ON metric.* TO 'swamp_exec'@'$NET.%';
GRANT SELECT, INSERT, UPDATE, EXECUTE ON viewer_store.* TO 'swamp_exec'@'$NET.%';
GRANT SELECT ON project.* TO 'swamp_exec'@'$NET.%';
GRANT SELECT ON package_store.* TO 'swamp_exec'@'$NET.%';
GRANT SELECT ON tool_shed.* TO 'swamp_exec'@'$NET.%';
GRANT SELECT ON platform_store.* TO 'swamp_exec'@'$NET.%';
EOF
}

wait_pool() {
  local i=0
  until [ "$(data_tool root condor_status -af Name 2>/dev/null | grep -c '^slot')" -ge 2 ] &&
        data_tool root condor_q -name "$(fqdn submit)" -totals >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 300 ] && die "pool did not come up in 60 s (logs: $B/<host>/upper/var/lib/swamp-host/log)"
    sleep 0.2
  done
}

# An HTCondor tool on the data host: as USER (root = an admin holding the token dir's group too).
data_tool() {
  local user=$1 tool=$2; shift 2
  if [ "$user" = root ]; then
    ip netns exec "$(ns_of data)" "$B/data/htcondor/bin/$tool" "$@"
  else
    ip netns exec "$(ns_of data)" setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups "$B/data/htcondor/bin/$tool" "$@"
  fi
}

host_exec() {
  local h=$1; shift
  if [ "$h" = data ]; then ip netns exec "$(ns_of data)" "$@"; return; fi
  local p; p=$(master_pid "$h") || die "$h is not running"
  nsenter -t "$p" -n -m -u chroot "$B/$h/root" "$@"
}

stop_all() {
  local h
  for h in $CONDOR_HOSTS; do
    local p
    if p=$(master_pid "$h"); then
      kill "$p" 2>/dev/null || true
      local i=0; while kill -0 "$p" 2>/dev/null; do i=$((i + 1)); [ $i -gt 100 ] && { kill -9 "$p" 2>/dev/null || true; break; }; sleep 0.2; done
    fi
    rm -f "$(pidfile_of "$h")"
  done
  for h in data sib; do
    [ -f "$B/$h/mariadb/my.cnf" ] && ip netns list | grep -q "^$(ns_of "$h")\b" || continue
    SWAMP_DB_DIR=$B/$h/mariadb SWAMP_DB_PORT=$DB_PORT ip netns exec "$(ns_of "$h")" "$PROJECT/services/mariadb/db.sh" stop 2>/dev/null || true
  done
  for h in data $CONDOR_HOSTS; do ip netns del "$(ns_of "$h")" 2>/dev/null || true; ip link del "vh-$h" 2>/dev/null || true; done
  ip link del "$BR" 2>/dev/null || true
}

write_env() {
  cat > "$B/env" <<EOF
# generated by services/multihost/mh.sh
export SWAMP_MH_DIR='$B'
export SWAMP_MH_DATA_IP='$(ip_of data)'
export SWAMP_MH_CM='$(ip_of cm)'
export SWAMP_MH_SCHEDD='$(fqdn submit)'
export SWAMP_MH_DB_PORT='$DB_PORT'
export SWAMP_MH_DB_PASSWORD='$(cat "$B/data/mariadb/swamp.password")'
export SWAMP_MH_DB_TEST_PASSWORD='$(cat "$B/data/mariadb/swamp_test.password")'
export SWAMP_MH_DB_SOCKET='$(sed -n 's/^socket *= *//p' "$B/data/mariadb/my.cnf" | head -1)'
export SWAMP_MH_DB_DEFAULTS_FILE='$B/data/mariadb/my.cnf'
export SWAMP_MH_SERVICE_USER='$SVC'
export SWAMP_MH_DB_OS_USER='$DBU'
export SWAMP_MH_PREFIX='$PREFIX_DIR'
export SWAMP_MH_RESULTS='$SHARED/working/results'
export SWAMP_MH_SCRIPT='$0'
export SWAMP_MH_TOOLS='$B/data/admin-bin'
export SWAMP_MH_SHARED='$SHARED'
export SWAMP_MH_LOG='$PREFIX_DIR/log'
export SWAMP_MH_RUN='$PREFIX_DIR/run'
export SWAMP_MH_INST='$INST'
export SWAMP_MH_GROUP='$GRP'
export SWAMP_MH_NETNS='$(ns_of data)'
EOF
  chmod 0600 "$B/env"
}

write_env_sib() {
  dvars sib
  cat > "$D/env" <<EOF
# generated by services/multihost/mh.sh up-sib: SWAMP-in-a-Box in production's shape
export SWAMP_MH_DIR='$B'
export SWAMP_MH_SHAPE=sib
export SWAMP_MH_TOOLS='$D/admin-bin'
export SWAMP_MH_DB_PORT='$DB_PORT'
export SWAMP_MH_DB_PASSWORD='$(cat "$D/mariadb/swamp.password")'
export SWAMP_MH_DB_TEST_PASSWORD='$(cat "$D/mariadb/swamp_test.password")'
export SWAMP_MH_DB_SOCKET='$(sed -n 's/^socket *= *//p' "$D/mariadb/my.cnf" | head -1)'
export SWAMP_MH_SERVICE_USER='$SVC'
export SWAMP_MH_DB_OS_USER='$DBU'
export SWAMP_MH_PREFIX='$DPREFIX'
export SWAMP_MH_SHARED='$DSHARED'
export SWAMP_MH_LOG='$DLOG'
export SWAMP_MH_RUN='$DRUN'
export SWAMP_MH_INST='$DINST'
export SWAMP_MH_GROUP='$GRP'
export SWAMP_MH_NETNS='$(ns_of sib)'
EOF
  chmod 0600 "$D/env"
}

cmd=${1:-}
case $cmd in
up-sib)
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ -x "$LOWER/usr/sbin/condor_master" ] || die "HTCondor chroot missing: run services/condor/setup.sh (make services) first"
  install -d -m 0755 "$B"
  need_setfacl
  CONDOR_HOSTS=sib
  accounts; network; secrets; layout_sib
  start_host sib
  data_host sib
  i=0; until [ "$("$B/sib/admin-bin/condor_status" -af Name 2>/dev/null | grep -c '^slot')" -ge 1 ] &&
    "$B/sib/admin-bin/condor_q" -totals >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 300 ] && die "SiB pool did not come up in 60 s"; sleep 0.2; done
  write_env_sib
  step "SiB (production shape) up; environment in $B/sib/env"
  ;;
up)
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ -x "$LOWER/usr/sbin/condor_master" ] || die "HTCondor chroot missing: run services/condor/setup.sh (make services) first"
  need_setfacl
  t0=$(date +%s.%N)
  install -d -m 0755 "$B"
  accounts; network; secrets; layout
  for h in $CONDOR_HOSTS; do start_host "$h"; done
  data_host data
  wait_pool
  write_env
  step "facility up in $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s; environment in $B/env"
  ;;
down) CONDOR_HOSTS="$CONDOR_HOSTS sib"; stop_all; echo "multihost down" >&2 ;;
status)
  for h in $CONDOR_HOSTS; do if p=$(master_pid "$h"); then echo "$h: condor_master $p"; else echo "$h: down"; fi; done
  data_tool root condor_status -any -af MyType Name || true
  ;;
env) cat "$B/env" ;;
exec) shift; host_exec "$@" ;;
data-tool) shift; data_tool "${SWAMP_MH_AS:-$DBU}" "$@" ;;
__host_init) host_init "$2" ;;
__data_db) data_db "$2" ;;
*) echo "usage: $0 up|down|status|env|exec HOST CMD...|data-tool TOOL ARGS..." >&2; exit 2 ;;
esac
