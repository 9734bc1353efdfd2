"""CAN sensors: radar object lists decoded with cantools from a DBC we ship.

``rsu.sensors.radar`` is the sans-I/O decoder (CAN frames in, ENU radar objects out);
``rsu.sensors.sources`` holds the small ``CanSource`` edge with its ``can`` (python-can) and
``sim`` backends, chosen by name from a lazy registry.
"""
