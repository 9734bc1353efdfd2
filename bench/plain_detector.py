"""The plain detector: the baseline of ``rsu camera detect`` (no rsu code at all).

OpenCV reads the video, the frame is letterboxed to 416x416 and normalised the way NanoDet
wants (BGR, ImageNet mean/std), onnxruntime runs the same model with its defaults except the
intra-op thread count, which is set like ``rsu camera detect``'s. No decoding of the outputs,
no NMS, no tracking, no output: it is the least work that runs the network on every frame,
which is what the issue means by the plain detector.

    python bench/plain_detector.py MODEL.onnx VIDEO FRAMES THREADS [nospin]

``nospin`` also sets the one session option rsu sets (idle pool threads sleep, not spin), to
tell that option's share of the difference from the rest.

prints ``{"frames": N, "seconds": S}`` (start-up included: imports, session, video open).
"""

from __future__ import annotations

import json
import sys
import time

T0 = time.perf_counter()

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

MEAN = np.array([103.53, 116.28, 123.675], np.float32)
STD = np.array([57.375, 57.12, 58.395], np.float32)


def main() -> None:
    model, video, frames, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    if sys.argv[5:] == ["nospin"]:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    cap = cv2.VideoCapture(video)
    n = 0
    while n < frames:
        ok, image = cap.read()
        if not ok:
            break
        h, w = image.shape[:2]
        s = min(416 / w, 416 / h)
        nw, nh = round(w * s), round(h * s)
        canvas = np.zeros((416, 416, 3), np.uint8)
        canvas[:nh, :nw] = cv2.resize(image, (nw, nh))
        x = ((canvas.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]
        session.run(None, {name: np.ascontiguousarray(x)})
        n += 1
    cap.release()
    print(json.dumps({"frames": n, "seconds": time.perf_counter() - T0}))


if __name__ == "__main__":
    main()
