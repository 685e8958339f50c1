#!/usr/bin/env bash
# Build the legacy C SCARF parser (vmu_Scarf_CParsing) for the side-by-side benchmark.
#
# Its sources are not part of this repository (mirswamp/services, perl/agents/Scarf_Parsing_C,
# Apache-2.0). Put a reconstruction of them in bench/out/legacy-c/src/ (git-ignored): the files
# ScarfCommon.h, AttributeJsonReader.c, ScarfXmlReader.c, ScarfJsonWriter.c, vmu_Scarf_CParsing.c.
# Built like the legacy Makefile (-O0) against Debian's libxml2 and libyajl (apt-get install
# libxml2-dev libyajl-dev gcc). The result is bench/out/legacy-c/vmu_Scarf_CParsing.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
src="$here/bench/out/legacy-c/src"
out="$here/bench/out/legacy-c/vmu_Scarf_CParsing"
if [ ! -f "$src/vmu_Scarf_CParsing.c" ]; then
  echo "legacy C sources not found in $src (see bench/native/README.md)" >&2
  exit 2
fi
gcc -O0 -w -I"$src" -I/usr/include/libxml2 -o "$out" \
  "$src/vmu_Scarf_CParsing.c" "$src/ScarfXmlReader.c" "$src/ScarfJsonWriter.c" "$src/AttributeJsonReader.c" \
  -lxml2 -lyajl -lm
echo "$out"
