#!/usr/bin/env bash
# crossfix set-up: installs what the demo and the tests need, once, and reuses it afterwards.
#
#   bash infra/setup.sh          # demo needs: npm deps, Fashion-MNIST (apt), temporal + minio (go install)
#   bash infra/setup.sh test     # also: torch, torchvision, Pillow, ONNX (apt), timm (pip), chromium (apt)
#
# Go-built servers land in $CROSSFIX_TOOLS (default ~/.cache/crossfix/tools/bin) and are built only when
# neither that folder nor PATH has them. Everything is idempotent: a second run takes about a second.
set -euo pipefail

mode=${1:-demo}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=${CROSSFIX_TOOLS:-$HOME/.cache/crossfix/tools}
TEMPORAL_CLI_VERSION=v1.5.1
MINIO_VERSION=${CROSSFIX_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}  # the build tested here; "latest" also works
TIMM_VERSION=${CROSSFIX_TIMM_VERSION:-0.9.16}

log() { printf 'setup: %s\n' "$*" >&2; }

apt_packages=(dataset-fashion-mnist)
if [ "$mode" = test ]; then
  apt_packages+=(python3-torch python3-torchvision python3-pil python3-numpy python3-yaml python3-pip python3-onnx chromium)
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$mode" = test ] && ! /usr/bin/python3 -c 'import timm' 2>/dev/null; then
  log "pip install timm==$TIMM_VERSION (no deps: torch comes from Debian)"
  /usr/bin/python3 -m pip install -q --no-deps --break-system-packages "timm==$TIMM_VERSION"
fi

build_tool() { # name module — in the background; the caller waits
  if command -v "$1" >/dev/null 2>&1 || [ -x "$tools/bin/$1" ]; then return; fi
  command -v go >/dev/null 2>&1 || { log "go is needed to build $1 ($2)"; exit 1; }
  log "go install $2 (first time only, a few minutes)"
  mkdir -p "$tools/bin"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "$2" &
}
build_tool temporal "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
build_tool minio "github.com/minio/minio@$MINIO_VERSION"
for job in $(jobs -p); do wait "$job" || { log "go install failed"; exit 1; }; done

cd "$root"
stamp=node_modules/.crossfix-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

# `./node_modules/.bin/crossfix` and `npx crossfix` from the repository root (npm does not link a package's own bin)
ln -sf ../../bin/crossfix.js node_modules/.bin/crossfix
