"""Give memory freed after a huge downlink message back to the operating system.

paho reads a whole MQTT packet into memory before our callback can look at its size (MQTT
3.1.1 has no way to tell the broker the largest packet we take; with MQTT 5 we do). The buffer
is freed right after, but glibc's allocator keeps such blocks: after a large block is freed its
mmap threshold rises to that size, so the next ones come from the heap and stay there (a daemon
sent eight 30 MB commands grew from 83 to 454 MB and stayed). ``malloc_trim(0)`` hands the free
pages back; it is called only after a message larger than ``TRIM_AFTER_BYTES``. On a C library
without it (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

TRIM_AFTER_BYTES = 1024 * 1024

_libc: Any = None


def release_free_memory() -> bool:
    """True when the C library's ``malloc_trim`` ran."""
    global _libc  # noqa: PLW0603 - loaded once, on first use
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        except OSError:
            _libc = False
    trim = getattr(_libc, "malloc_trim", None) if _libc else None
    if trim is None:
        return False
    trim(0)
    return True
