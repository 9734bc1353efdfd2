"""Post-conversion steps for the shipped NanoDet models (run by scripts/convert_nanodet.sh).

``compact``: store the large float32 weights as float16 plus a Cast node. The TF.js source holds
its weights as float16, so this loses nothing against the source and halves the file;
onnxruntime folds the Casts back to float32 constants when it loads the session.

``quantize``: onnxruntime static QDQ quantisation of the Conv layers only (quantising every op
leaves the sigmoid/softmax heads useless), calibrated on real frames of a video, preprocessed
exactly as ``rsu.perception`` preprocesses them.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper

from rsu.perception.detector import family_input
from rsu.perception.preprocess import prepare


def compact(src: Path, dst: Path, min_elements: int = 1024) -> None:
    model = onnx.load(str(src))
    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= min_elements:
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16")
            kept.append(half)
            casts.append(
                helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT)
            )
        else:
            kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


class FrameReader:
    """onnxruntime CalibrationDataReader over evenly spaced frames of a video."""

    def __init__(self, video: Path, input_name: str, count: int, size: int) -> None:
        self.input_name = input_name
        self.spec = family_input("nanodet", size, size)
        self._frames = self._read(video, count)

    def _read(self, video: Path, count: int) -> Iterator[np.ndarray]:
        cap = cv2.VideoCapture(str(video))
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        for index in np.linspace(0, total - 1, count).astype(int):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            ok, image = cap.read()
            if ok:
                yield prepare(image, self.spec)[0]
        cap.release()

    def get_next(self) -> dict[str, np.ndarray] | None:
        tensor = next(self._frames, None)
        return None if tensor is None else {self.input_name: tensor}


def quantize(model: Path, video: Path, output: Path, frames: int) -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    input_name = onnx.load(str(model)).graph.input[0].name
    quantize_static(
        str(model),
        str(output),
        FrameReader(video, input_name, frames, 416),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compact")
    c.add_argument("src", type=Path)
    c.add_argument("dst", type=Path)
    q = sub.add_parser("quantize")
    q.add_argument("--model", type=Path, required=True)
    q.add_argument("--video", type=Path, required=True)
    q.add_argument("--output", type=Path, required=True)
    q.add_argument("--frames", type=int, default=64)
    args = parser.parse_args()
    if args.cmd == "compact":
        compact(args.src, args.dst)
    else:
        quantize(args.model, args.video, args.output, args.frames)


if __name__ == "__main__":
    main()
