"""Perception: camera sources, the ONNX detector and calibration (pixel -> metres -> WGS84).

- ``camera``: OpenCV sources (files, RTSP/HTTP, V4L2) with reconnect, frame pacing and health.
- ``detector``: detector plugins behind ``Detector`` (onnxruntime), one decoder per model family.
- ``calibration``: intrinsics/distortion and a ground-plane homography from surveyed points.

Heavy imports (cv2, onnxruntime) happen inside the modules that need them, never here.
"""
