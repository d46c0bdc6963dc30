#!/usr/bin/env bash
# Builds crossfix's demo model zoo from scratch or from cached ONNX files:
#   1. trains the six Fashion-MNIST models (train_zoo.py) when an ONNX file is missing,
#   2. writes each model card and converts each ONNX into conversion/zoo/models/<name>/
#      with the crossfix converter and its onnxruntime parity check (convert-zoo.ts),
#   3. checks TF.js (WASM) top-1 on the 10,000 test images against PyTorch's (verify-zoo.ts).
# Needs: python3-torch, python3-numpy, dataset-fashion-mnist (apt); node_modules.
# Usage: bash conversion/zoo/build_zoo.sh [--retrain]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ZOO="$ROOT/conversion/zoo"
ONNX_DIR="$ROOT/.cache/zoo-onnx"
BLAS_DIR="$ROOT/.cache/openblas"
MODELS=(mlp lenet resnet-mini mobilenet-mini vit-mini convnext-mini)
cd "$ROOT"

# Debian's torch calls the reference BLAS through libblas.so.3 (10x slower on Linear layers).
# OpenBLAS is unpacked under .cache and put in front for the training process only, so that the
# system's BLAS choice stays as it is for everyone else on the machine.
openblas_path() {
  local lib="$BLAS_DIR/root/usr/lib/x86_64-linux-gnu/openblas-pthread"
  if [[ ! -e "$lib/libblas.so.3" ]]; then
    mkdir -p "$BLAS_DIR"
    (cd "$BLAS_DIR" && apt-get download libopenblas0-pthread >&2 && dpkg -x libopenblas0-pthread_*.deb root) \
      || { echo "build_zoo: could not unpack OpenBLAS into $BLAS_DIR; training with the reference BLAS" >&2; return; }
  fi
  echo "$lib"
}

train() {
  local blas
  blas="$(openblas_path)"
  echo "build_zoo: training the zoo (about 10-25 minutes on 2 cores)" >&2
  LD_LIBRARY_PATH="$blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
    /usr/bin/python3 "$ZOO/train_zoo.py"
}

missing=0
for m in "${MODELS[@]}"; do [[ -f "$ONNX_DIR/$m.onnx" ]] || missing=1; done
if [[ "${1:-}" == "--retrain" || $missing == 1 ]]; then train; fi

node --import tsx "$ZOO/convert-zoo.ts" "${MODELS[@]}"
node --import tsx "$ZOO/verify-zoo.ts" "${MODELS[@]}"
du -sh "$ZOO/models"/* >&2
