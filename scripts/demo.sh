#!/bin/sh
# make demo (after make services): plays the production path from SQL; see scripts/demo.ts.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
set -a; . "$ROOT/.local/env"; set +a
unset NODE_EXTRA_CA_CERTS
exec node --import tsx scripts/demo.ts
