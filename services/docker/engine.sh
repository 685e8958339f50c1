#!/bin/sh
# The container engine of the docker platform for the local HTCondor pool (docs/docker.md):
# podman's Docker-compatible API (podman system service, runc, cgroupfs manager) on the host, a
# docker CLI wrapper inside the HTCondor chroot that talks to it, a small platform image built
# locally (no registry here), and the docker-universe settings for the pool's startd.
#   engine.sh up       install podman/runc/catatonit when missing (apt), start the API service, make it
#                      reachable inside the chroot, build the platform and viewer images once (cached
#                      by a recipe hash), write the startd's docker config and restart the startd when it does not
#                      advertise HasDocker (run it after pool.sh start, under the pool's lock)
#   engine.sh prepare  all of up but the startd (before pool.sh start: a starting startd finds docker)
#   engine.sh startd   only the startd's config and restart
#   engine.sh down     stop the API service
#   engine.sh status   exit 0 when the socket answers and the startd advertises HasDocker
#   engine.sh images   `docker images` as the launcher's images file (swamp.conf dockerImagesFile) expects
#   engine.sh image    the platform image's name
#   engine.sh viewer-image  the simulated CodeDX viewer image's name
# SWAMP_DOCKER=0 turns the docker platform off (hosts without an engine): `up` removes the startd's
# docker config and leaves the `local` platform as the only one that runs.
# SWAMP_NODE: the Node binary copied into the platform image (the simulated framework runs on it).
# SWAMP_BUNDLE: the project's bundle (build/bundle/swamp.cjs), baked into the simulated viewer image
# (its viewer machine); without it no viewer image is built.
set -eu
R=${SWAMP_CONDOR_CHROOT:-/opt/swamp-condor/root}
E=${SWAMP_ENGINE_DIR:-/opt/swamp-condor/engine}
HERE=$(cd "$(dirname "$0")" && pwd)
# inside the chroot; the socket is a file of the chroot's tree, so no mount is needed for it
SOCK_DIR=/run/swamp-podman
LIBEXEC=/usr/local/libexec/swamp-docker
CONF=$R/etc/condor/config.d/60-swamp-docker.conf
# The platform: the identifier the DB's platform_version rows use (debian-12.0-64), in the name the
# legacy's images follow (swamp/condor-<identifier>-master-<date>); podman adds localhost/.
IMAGE=localhost/swamp/condor-debian-12.0-64-master-2026120601
# The viewer image, named as the launcher's viewer choice expects (swamp.conf master.viewer, default
# codedx-3.5.5-viewer: swamp/condor-<master.viewer>-master-<n>): the platform image's tools plus the
# simulated viewer (services/docker/viewer) as its entrypoint.
VIEWER_IMAGE=localhost/swamp/condor-codedx-3.5.5-viewer-master-2026120601
RECIPE_VERSION=1
VIEWER_RECIPE_VERSION=1
PODMAN_ARGS="--cgroup-manager=cgroupfs --runtime=runc"

die() { echo "engine.sh: $*" >&2; exit 1; }
say() { echo "engine.sh: $*" >&2; }
step() { echo "== $(date +%T) $*"; }

# The docker CLI as the startd runs it (inside the chroot, through the wrapper), with a timeout.
dk() { timeout 30 chroot "$R" "$LIBEXEC/docker" "$@"; }
answers() { [ -S "$R$SOCK_DIR/podman.sock" ] && dk version --format '{{.Server.Version}}' >/dev/null 2>&1; }
pool_running() {
  pf=$R/run/condor/condor_master.pid
  [ -s "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null
}
has_docker() { [ "$(timeout 10 chroot "$R" condor_status -af HasDocker 2>/dev/null | head -1)" = true ]; }

service_pid() {
  [ -s "$E/podman.pid" ] || return 1
  pid=$(cat "$E/podman.pid")
  kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = podman ] && echo "$pid"
}

install_packages() {
  command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && command -v catatonit >/dev/null 2>&1 && return 0
  step "apt-get install podman runc catatonit"
  # crun (podman's default runtime) fails on this cgroup v1 host; runc is used instead.
  # catatonit: HTCondor runs containers with --init (DOCKER_RUN_UNDER_INIT).
  timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends podman runc catatonit \
    >"$E/apt.log" 2>&1 || { apt-get -q update >/dev/null 2>&1 &&
    timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends podman runc catatonit >"$E/apt.log" 2>&1; } ||
    { tail -5 "$E/apt.log" >&2; return 1; }
}

start_service() {
  mkdir -p "$R$SOCK_DIR"
  # a service whose working directory was deleted (started from a checkout removed since) answers the
  # API but cannot start a container (conmon: "Failed to get working directory"): start it anew
  if pid=$(service_pid) && answers; then
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in
      *" (deleted)") step "podman system service: its working directory is gone, restarting it" ;;
      *) return 0 ;;
    esac
  fi
  if pid=$(service_pid); then kill "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$R$SOCK_DIR/podman.sock"
  step "podman system service (runc, cgroupfs) on $R$SOCK_DIR/podman.sock"
  # detached, and not with an inherited descriptor of the caller's flock (see services/mariadb/db.sh)
  # shellcheck disable=SC2086
  # from /: conmon, started for each container, needs the service's working directory to exist
  (cd / && exec setsid podman $PODMAN_ARGS system service --time=0 "unix://$R$SOCK_DIR/podman.sock" \
    </dev/null >>"$E/podman.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-) &
  echo $! > "$E/podman.pid"
  i=0; until [ -S "$R$SOCK_DIR/podman.sock" ]; do
    i=$((i+1)); [ $i -gt 100 ] && { tail -5 "$E/podman.log" >&2; return 1; }; sleep 0.1; done
}

# The starter runs the docker CLI as the condor user: socket and directory belong to its group.
socket_access() {
  cgid=$(chroot "$R" id -g condor)
  chgrp "$cgid" "$R$SOCK_DIR" "$R$SOCK_DIR/podman.sock"
  chmod 0750 "$R$SOCK_DIR"
  chmod 0660 "$R$SOCK_DIR/podman.sock"
}

# The docker CLI inside the chroot: the host's static client and a wrapper naming the socket.
docker_cli() {
  client=$(command -v docker 2>/dev/null || true)
  [ -n "$client" ] || { say "no docker client on the host (a static docker CLI is needed)"; return 1; }
  mkdir -p "$R$LIBEXEC"
  cmp -s "$client" "$R$LIBEXEC/docker.real" 2>/dev/null || install -m 0755 "$client" "$R$LIBEXEC/docker.real"
  cat > "$E/docker.wrapper" <<EOF
#!/bin/sh
# docker CLI of HTCondor's docker universe (services/docker/engine.sh): podman's Docker API
DOCKER_HOST=unix://$SOCK_DIR/podman.sock exec $LIBEXEC/docker.real "\$@"
EOF
  cmp -s "$E/docker.wrapper" "$R$LIBEXEC/docker" 2>/dev/null || install -m 0755 "$E/docker.wrapper" "$R$LIBEXEC/docker"
}

# podman runs on the host, HTCondor in the chroot: the scratch directories the starter mounts into a
# container (--volume <dir>:<dir>) must exist at the same path on the host. The chroot's EXECUTE
# directory is bind-mounted there (host side only; the pool's config is unchanged).
execute_mount() {
  ex=$(chroot "$R" condor_config_val EXECUTE)
  case $ex in /*) ;; *) say "EXECUTE of the pool is '$ex'"; return 1 ;; esac
  mkdir -p "$R$ex"
  if [ -d "$ex" ] && [ "$(stat -c %d:%i "$ex")" = "$(stat -c %d:%i "$R$ex")" ]; then return 0; fi
  mkdir -p "$ex"
  mount --bind "$R$ex" "$ex"
}

node_bin() {
  n=${SWAMP_NODE:-$(command -v node 2>/dev/null || true)}
  [ -n "$n" ] && [ -x "$n" ] || { say "no Node binary for the platform image (SWAMP_NODE)"; return 1; }
  echo "$n"
}

# The tools of the image's root filesystem: a shell and what run.sh scripts use, with their
# libraries, and Node (the simulated framework's runtime). Copied from the host: no registry here.
IMAGE_TOOLS="bash sh dirname basename ls cat mkdir rm cp mv ln sleep env id tar gzip chmod date head tail sed grep uname hostname touch sort wc find stat"

recipe_hash() {
  {
    echo "$RECIPE_VERSION $IMAGE_TOOLS"
    sha256sum "$1" | cut -d' ' -f1
  } | sha256sum | cut -c1-16
}

# The image's root filesystem in $1 (a shell, the tools run.sh scripts use, their libraries, Node).
make_rootfs() {
  fs=$1 node=$2
  mkdir -p "$fs/usr/bin" "$fs/usr/lib" "$fs/usr/local/bin" "$fs/lib64" "$fs/etc" "$fs/tmp" "$fs/root" "$fs/proc" "$fs/sys" "$fs/dev" "$fs/run"
  ln -s usr/bin "$fs/bin"; ln -s usr/lib "$fs/lib"
  chmod 1777 "$fs/tmp"
  for t in $IMAGE_TOOLS; do
    p=$(command -v "$t") || { say "image tool $t missing on the host"; return 1; }
    cp -L "$p" "$fs/usr/bin/"
  done
  cp -L "$node" "$fs/usr/local/bin/node"
  for f in "$fs"/usr/bin/* "$fs/usr/local/bin/node"; do ldd "$f" 2>/dev/null || true; done |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }' | sort -u |
    while IFS= read -r lib; do
      d=$fs$(dirname "$lib"); mkdir -p "$d"; cp -L "$lib" "$d/"
    done
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$fs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$fs/etc/group"
  printf 'PRETTY_NAME="SWAMP simulated platform (Debian 12 tools)"\nID=debian\nVERSION_ID="12"\n' > "$fs/etc/os-release"
}

# podman import of a root filesystem as <name> labelled with <recipe>; the image it replaces is removed
# (a container of a running job keeps it busy: then it stays, untagged).
import_image() {
  fs=$1 name=$2 recipe=$3; shift 3
  # shellcheck disable=SC2086
  old=$(podman $PODMAN_ARGS image inspect --format '{{.Id}}' "$name" 2>/dev/null || true)
  # shellcheck disable=SC2086
  tar -C "$fs" -c . | podman $PODMAN_ARGS import --change "LABEL org.swamp.recipe=$recipe" "$@" - "$name" >"$fs.import.log" 2>&1 ||
    { cat "$fs.import.log" >&2; return 1; }
  # shellcheck disable=SC2086
  [ -z "$old" ] || podman $PODMAN_ARGS rmi "$old" >/dev/null 2>&1 || true
}

image_recipe() {
  # shellcheck disable=SC2086
  podman $PODMAN_ARGS image inspect --format '{{index .Labels "org.swamp.recipe"}}' "$1" 2>/dev/null || true
}

build_image() {
  node=$(node_bin) || return 1
  want=$(recipe_hash "$node")
  [ "$(image_recipe "$IMAGE")" = "$want" ] && return 0
  step "build the platform image $IMAGE (recipe $want)"
  W=$(mktemp -d)
  make_rootfs "$W/rootfs" "$node" && import_image "$W/rootfs" "$IMAGE" "$want" --change 'CMD ["/bin/bash"]' || { rm -rf "$W"; return 1; }
  rm -rf "$W"
}

viewer_recipe_hash() {
  {
    echo "$VIEWER_RECIPE_VERSION"
    recipe_hash "$1"
    sha256sum "$2" "$HERE/viewer/viewer-management-service" | cut -d' ' -f1
  } | sha256sum | cut -c1-16
}

# The simulated CodeDX viewer image: the platform image's root filesystem, the project's bundle (the
# viewer machine), the entrypoint services/docker/viewer/viewer-management-service, and a self-signed
# certificate for its https (a real viewer's Tomcat has its own; the launcher, like curl -k, does not
# verify it). Rebuilt only when the Node binary, the bundle or the entrypoint change.
build_viewer_image() {
  bundle=${SWAMP_BUNDLE:-}
  [ -n "$bundle" ] && [ -f "$bundle" ] || { say "no bundle (SWAMP_BUNDLE): no docker viewer image"; return 0; }
  node=$(node_bin) || return 1
  want=$(viewer_recipe_hash "$node" "$bundle")
  [ "$(image_recipe "$VIEWER_IMAGE")" = "$want" ] && return 0
  command -v openssl >/dev/null 2>&1 || { say "openssl missing: no docker viewer image"; return 1; }
  step "build the viewer image $VIEWER_IMAGE (recipe $want)"
  W=$(mktemp -d)
  fs=$W/rootfs
  make_rootfs "$fs" "$node" || { rm -rf "$W"; return 1; }
  mkdir -p "$fs/usr/local/libexec" "$fs/etc/swamp-viewer"
  install -m 0644 "$bundle" "$fs/usr/local/libexec/swamp-machine.cjs"
  install -m 0755 "$HERE/viewer/viewer-management-service" "$fs/usr/local/libexec/viewer-management-service"
  # the container runs as the job owner (docs/docker.md): the key must be readable by any uid; it is a
  # throw-away key of a test image, reachable only on the host's podman bridge
  timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=swamp-simulated-viewer \
    -keyout "$fs/etc/swamp-viewer/tls.key" -out "$fs/etc/swamp-viewer/tls.crt" >"$W/openssl.log" 2>&1 ||
    { cat "$W/openssl.log" >&2; rm -rf "$W"; return 1; }
  chmod 0644 "$fs/etc/swamp-viewer/tls.key" "$fs/etc/swamp-viewer/tls.crt"
  import_image "$fs" "$VIEWER_IMAGE" "$want" --change 'ENTRYPOINT ["/usr/local/libexec/viewer-management-service"]' || { rm -rf "$W"; return 1; }
  rm -rf "$W"
}

startd_config() {
  sed -e "s#@LIBEXEC@#$LIBEXEC#g" "$HERE/docker.conf" > "$E/docker.conf"
  changed=0
  cmp -s "$E/docker.conf" "$CONF" 2>/dev/null || { install -m 0644 "$E/docker.conf" "$CONF"; changed=1; }
  pool_running || return 0
  if [ $changed = 1 ] || ! has_docker; then
    # The startd detects docker only when it starts; this runs under the pool's lock, so no job of
    # another test is running.
    step "restart the startd for the docker universe"
    chroot "$R" condor_restart -startd >/dev/null
    i=0; until has_docker; do
      i=$((i+1)); [ $i -gt 150 ] && { say "the startd does not advertise HasDocker (logs: $R/var/log/condor/StartLog)"; return 1; }
      sleep 0.2
    done
  fi
}

disable() {
  if [ -f "$CONF" ]; then
    rm -f "$CONF"
    pool_running && chroot "$R" condor_restart -startd >/dev/null || true
  fi
}

prepare() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ -x "$R/usr/sbin/condor_master" ] || die "HTCondor chroot not set up (services/condor/setup.sh)"
  mkdir -p "$E"
  install_packages || die "podman/runc not available; SWAMP_DOCKER=0 runs without the docker platform"
  docker_cli
  start_service || die "podman system service did not start (log: $E/podman.log)"
  socket_access
  answers || die "podman's API does not answer through the docker CLI (log: $E/podman.log)"
  execute_mount
  build_image
  build_viewer_image
}

cmd=${1:-}
case $cmd in
prepare|up|startd)
  if [ "${SWAMP_DOCKER:-1}" = 0 ]; then disable; say "docker platform off (SWAMP_DOCKER=0)"; exit 0; fi
  [ "$cmd" = startd ] || prepare
  [ "$cmd" = prepare ] || startd_config
  ;;
down)
  if pid=$(service_pid); then kill "$pid"; echo "podman service stopped"; else echo "not running"; fi
  rm -f "$E/podman.pid"
  ;;
status)
  answers || { echo "engine: not answering"; exit 1; }
  echo "engine: podman $(dk version --format '{{.Server.Version}}')"
  dk images --format '{{.Repository}}:{{.Tag}}' | grep swamp/ || true
  has_docker || { echo "startd: no HasDocker"; exit 1; }
  echo "startd: HasDocker"
  ;;
images)
  answers || exit 0
  dk images
  ;;
image)
  echo "$IMAGE"
  ;;
viewer-image)
  echo "$VIEWER_IMAGE"
  ;;
*)
  echo "usage: $0 up|prepare|startd|down|status|images|image|viewer-image" >&2; exit 2 ;;
esac
