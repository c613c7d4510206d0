#!/usr/bin/env bash
# Builds halotap's Lambda assets without Docker, exactly as Lambda will load them:
#   <layer-dir>/python       the pinned runtime wheels for Python 3.13 on the target architecture, and the
#                            halotap package; nothing else (no bin/, no share/, no operator tools);
#   <functions-dir>/<name>   each handler's folder.
# Both are compiled to Python 3.13 bytecode with unchecked-hash invalidation. Lambda's /opt and /var/task are
# read-only and their file times cannot be trusted, so without bytecode (or with timestamp-checked bytecode)
# every cold start would compile the whole dependency tree from source again.
#
# Usage: scripts/build-layer.sh [arm64|x86_64] [layer-dir] [functions-dir]
#   arm64 (the default) is what the stack deploys; x86_64 builds the same layer for this machine, so that
#   `make bench` and the Lambda-shaped test can import it under Python 3.13.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
ARCH="${1:-arm64}"
LAYER="${2:-layers/common/build}"
FUNCTIONS="${3:-build/functions}"
case "$ARCH" in
  arm64) PLATFORM=manylinux2014_aarch64 ;;
  x86_64) PLATFORM=manylinux2014_x86_64 ;;
  *) echo "build-layer.sh: unknown architecture $ARCH (arm64 or x86_64)" >&2; exit 2 ;;
esac
PYTHON313="$(scripts/python313)"

rm -rf "$LAYER" "$FUNCTIONS"
mkdir -p "$LAYER/python" "$FUNCTIONS"
"$PYTHON" -m pip install --quiet --disable-pip-version-check \
  --platform "$PLATFORM" --only-binary=:all: --python-version 3.13 --implementation cp \
  --target "$LAYER/python" -r layers/common/requirements.txt
cp -R layers/common/python/halotap "$LAYER/python/"
# The hosted page's message catalogs, compiled: the layer carries .mo files only, read lazily per language.
"$PYTHON" scripts/page_messages.py compile "$LAYER/python/halotap/page/locales"
# Console scripts and data files that pip installs beside the packages: nothing a function imports.
rm -rf "$LAYER/python/bin" "$LAYER/python/share"

for handler in functions/*/handler.py; do
  name="$(basename "$(dirname "$handler")")"
  mkdir -p "$FUNCTIONS/$name"
  cp "$handler" "$FUNCTIONS/$name/"
done

find "$LAYER" "$FUNCTIONS" -name '__pycache__' -type d -prune -exec rm -rf {} +
"$PYTHON313" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$LAYER/python" "$FUNCTIONS" >/dev/null
echo "layer built in $LAYER and functions in $FUNCTIONS ($ARCH, bytecode for $("$PYTHON313" -c 'import sys; print(sys.implementation.cache_tag)'))"
