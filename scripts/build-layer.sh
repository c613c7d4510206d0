#!/usr/bin/env bash
# Builds the shared Lambda layer into layers/common/build/ without Docker: wheels for Lambda's
# arm64 (Graviton) Python 3.13 runtime, then the halotap package itself. Idempotent: the build
# folder is rebuilt from scratch each run. Called by `make layer`; takes no arguments.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
BUILD=layers/common/build

rm -rf "$BUILD"
mkdir -p "$BUILD/python"
"$PYTHON" -m pip install --quiet --disable-pip-version-check \
  --platform manylinux2014_aarch64 --only-binary=:all: --python-version 3.13 --implementation cp \
  --target "$BUILD/python" -r layers/common/requirements.txt
cp -R layers/common/python/halotap "$BUILD/python/"
find "$BUILD/python" -name '__pycache__' -type d -prune -exec rm -rf {} +
echo "layer built in $BUILD"
