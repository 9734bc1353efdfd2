"""Store-and-repeat broadcast: a sans-I/O scheduler of everything the RSU transmits."""

from rsu.broadcast.config import BroadcastConfig, MessageConfig, load_message
from rsu.broadcast.scheduler import EntryReport, Notice, Remove, Scheduler, Upsert, stamp

__all__ = [
    "BroadcastConfig",
    "EntryReport",
    "MessageConfig",
    "Notice",
    "Remove",
    "Scheduler",
    "Upsert",
    "load_message",
    "stamp",
]
