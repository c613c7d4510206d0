#!/usr/bin/env bash
# Builds halotap's Lambda assets without Docker, exactly as Lambda will load them:
#   <layer-dir>/python       the pinned runtime wheels for Python 3.13 on the target architecture, and the
#                            halotap package; nothing else (no bin/, no share/, no operator tools);
#   <page-layer-dir>/python  babel, with CLDR data for the hosted page's languages only (en and every
#                            catalog under halotap/page/locales): only checkout_page loads it, so only
#                            checkout_page gets this layer (infra/manifest.py, Function.layers);
#   <functions-dir>/<name>   each handler's folder.
# botocore keeps the service models of the AWS services halotap calls (layers/common/aws-services.txt) and
# drops the other ~440: 28 MB of data no function reads, and a shorter service list for every new client.
# Both are compiled to Python 3.13 bytecode with unchecked-hash invalidation. Lambda's /opt and /var/task are
# read-only and their file times cannot be trusted, so without bytecode (or with timestamp-checked bytecode)
# every cold start would compile the whole dependency tree from source again.
#
# Usage: scripts/build-layer.sh [arm64|x86_64] [layer-dir] [functions-dir] [page-layer-dir]
#   arm64 (the default) is what the stack deploys; x86_64 builds the same layer for this machine, so that
#   `make bench` and the Lambda-shaped test can import it under Python 3.13.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
ARCH="${1:-arm64}"
LAYER="${2:-layers/common/build}"
FUNCTIONS="${3:-build/functions}"
PAGE_LAYER="${4:-layers/page/build}"
case "$ARCH" in
  arm64) PLATFORM=manylinux2014_aarch64 ;;
  x86_64) PLATFORM=manylinux2014_x86_64 ;;
  *) echo "build-layer.sh: unknown architecture $ARCH (arm64 or x86_64)" >&2; exit 2 ;;
esac
PYTHON313="$(scripts/python313)"

rm -rf "$LAYER" "$FUNCTIONS" "$PAGE_LAYER"
mkdir -p "$LAYER/python" "$FUNCTIONS" "$PAGE_LAYER/python"
"$PYTHON" -m pip install --quiet --disable-pip-version-check \
  --platform "$PLATFORM" --only-binary=:all: --python-version 3.13 --implementation cp \
  --target "$LAYER/python" -r layers/common/requirements.txt
cp -R layers/common/python/halotap "$LAYER/python/"
# The hosted page's message catalogs, compiled: the layer carries .mo files only, read lazily per language.
"$PYTHON" scripts/page_messages.py compile "$LAYER/python/halotap/page/locales"
# Console scripts and data files that pip installs beside the packages: nothing a function imports.
rm -rf "$LAYER/python/bin" "$LAYER/python/share"

# botocore's data: the service models halotap calls, and the shared files every client reads.
keep_services="$(grep -v '^#' layers/common/aws-services.txt | tr -s ' \n' ' ')"
for service in "$LAYER"/python/botocore/data/*/; do
  case " $keep_services " in *" $(basename "$service") "*) ;; *) rm -rf "$service" ;; esac
done
# boto3's resource models are for boto3.resource(), which halotap does not use.
rm -rf "$LAYER/python/boto3/data"

# babel moves to the page's own layer, with the CLDR locales of the page's languages (and their regional
# variants, which inherit from them) and root, from which every locale inherits.
mv "$LAYER/python/babel" "$LAYER"/python/babel-*.dist-info "$PAGE_LAYER/python/"
languages="en $(cd layers/common/python/halotap/page/locales && ls -d */ | tr -d / | tr '\n' ' ')"
for data in "$PAGE_LAYER"/python/babel/locale-data/*.dat; do
  locale="$(basename "$data" .dat)"
  keep=no
  for language in root $languages; do
    case "$locale" in "$language" | "$language"_*) keep=yes ;; esac
  done
  [ "$keep" = yes ] || rm -f "$data"
done

for handler in functions/*/handler.py; do
  name="$(basename "$(dirname "$handler")")"
  mkdir -p "$FUNCTIONS/$name"
  cp "$handler" "$FUNCTIONS/$name/"
done

find "$LAYER" "$PAGE_LAYER" "$FUNCTIONS" -name '__pycache__' -type d -prune -exec rm -rf {} +
"$PYTHON313" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$LAYER/python" "$PAGE_LAYER/python" "$FUNCTIONS" >/dev/null
echo "layers built in $LAYER and $PAGE_LAYER, functions in $FUNCTIONS ($ARCH, bytecode for $("$PYTHON313" -c 'import sys; print(sys.implementation.cache_tag)'))"
