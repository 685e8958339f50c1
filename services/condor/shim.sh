#!/bin/sh
# SWAMP HTCondor tool shim (installed by services/condor/setup.sh; every condor_* in this directory is
# a symlink to it). The tool is named by the link. The same PATH entry works for every caller:
#   - root: runs the chroot's tool inside the chroot as the job owner (@USER@), because the schedd
#     refuses root as a job owner. SWAMP_CONDOR_USER=root acts as root instead (queue super user).
#   - any other uid: runs the chroot's binary natively on the host through the chroot's own loader
#     (trixie binaries need a newer glibc than the host's); the uid must exist in the chroot.
#   SWAMP_CONDOR_NATIVE=1 forces the native form for root too (everything but submit works).
R=@CHROOT@
H=@HOSTDIR@
tool=${0##*/}
bin=/usr/bin/$tool
[ -x "$R$bin" ] || bin=/usr/sbin/$tool
if [ ! -x "$R$bin" ]; then
  echo "$tool: not installed in the HTCondor chroot $R (run services/condor/setup.sh)" >&2
  exit 127
fi
# [ -O / ] is true only for euid 0 (the host's / belongs to root); a builtin test, no fork.
if [ -O / ] && [ "${SWAMP_CONDOR_NATIVE:-0}" != 1 ]; then
  case ${SWAMP_CONDOR_USER:-@USER@} in
    root) spec=0:0 home=/root user=root ;;
    @USER@) spec=@UID@:@GID@ home=@HOME@ user=@USER@ ;;
    *) echo "$tool: SWAMP_CONDOR_USER must be root or @USER@" >&2; exit 2 ;;
  esac
  # Paths stay valid only where the chroot sees the same directory (bind mounts, /tmp).
  if [ -d "$R$PWD" ]; then dir=$PWD; else
    if [ "$tool" = condor_submit ]; then
      echo "condor_submit: the current directory $PWD is not visible inside the HTCondor chroot $R;" \
           "work under /tmp or a directory listed in SWAMP_SHARED_DIRS" >&2
      exit 2
    fi
    dir=/
  fi
  # CONDOR_CONFIG names the host-side client config, which means nothing inside the chroot.
  exec @CHROOT_BIN@ --userspec=$spec "$R" /usr/bin/env -u CONDOR_CONFIG --chdir="$dir" \
    PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=$home USER=$user LOGNAME=$user "$bin" "$@"
fi
export CONDOR_CONFIG="${CONDOR_CONFIG:-$H/etc/condor_config}"
exec "$R@LDSO@" --library-path "$R/usr/lib:$R/usr/lib/@TRIPLET@:$R/lib/@TRIPLET@" "$R$bin" "$@"
