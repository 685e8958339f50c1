#!/bin/sh
# make bench: every benchmark side by side with the legacy implementation, results under bench/out/.
#   start-up of the DB entry programs (compiled binary vs legacy-style Perl), direct and through the UDF
#   Native SCARF transform throughput and peak RSS (ours vs the legacy C parser where it can be built)
#   a process_execution_records launch pass: per-run workers vs the batch submitter (bench/launch)
# `scripts/bench.sh launch` runs only the launch benchmark (make bench-launch).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v hyperfine >/dev/null 2>&1 || true
# the Perl stand-in needs the modules the legacy entry scripts load
if ! perl -MLog::Log4perl -MDBI -MDBD::MariaDB -MConfigReader::Simple -MRPC::XML::Client -e 1 2>/dev/null || [ ! -x /usr/bin/time ]; then
  apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends \
    liblog-log4perl-perl libdbi-perl libdbd-mariadb-perl libconfigreader-simple-perl librpc-xml-perl time >&2
fi
set -a; . "$ROOT/.local/env"; set +a
unset NODE_EXTRA_CA_CERTS
if [ "${1:-}" = launch ]; then
  echo "== launch pass: per-run workers vs batch submitter" >&2
  exec node --import tsx bench/launch/run.ts
fi
echo "== start-up: compiled binary vs legacy-style Perl" >&2
node --import tsx bench/startup/run.ts
echo "== Native SCARF transform" >&2
node --import tsx bench/native/run.ts --sizes ${BENCH_NATIVE_SIZES:-10,100,500} --runs ${BENCH_NATIVE_RUNS:-3}
echo "== launch pass: per-run workers vs batch submitter" >&2
node --import tsx bench/launch/run.ts
