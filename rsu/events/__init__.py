"""Sans-I/O "digital road" events: zones and lines in metres (or lat/lon) -> events with a
``new`` / ``update`` / ``end`` lifecycle, ``before``/``after`` states and the zones involved.

``rsu.events.zones`` holds the geometry and the ``[[events.zones]]`` / ``[[events.lines]]``
config; ``rsu.events.engine.EventEngine.update(objects, now)`` returns ``Event`` values.
"""
