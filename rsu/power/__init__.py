"""The RSU's own power: sources (CAN BMS, NUT UPS, Modbus solar controller, sim) as edges,
a sans-I/O monitor (telemetry, alarms, unknown state) and the brown-out shed order.

``shed`` and ``monitor`` are cores (no I/O, time passed in); ``nut``, ``can_bms``, ``modbus``
and ``sim`` are the sources, opened by name through ``sources.open_source``; ``edge`` is the
thread that polls one source onto the daemon's ``power`` queue. See docs/power.md.
"""
