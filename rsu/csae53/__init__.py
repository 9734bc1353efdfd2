"""T/CSAE 53-2020 / YD/T 3709-2020 day-1: the China message set (BSM, MAP, SPAT, RSI, RSM).

Everything the RSU knows about this set lives here: the ASN.1 modules (``asn/``), the message
table (``messages``), the frame strategy (``framing``: a CHOICE with no length of its own),
restamping, the sender report of a BSM, the ``[csae53]`` config section (``config``) and the
RSM/RSI sensor-sharing plug-in (``share``); ``plugin`` is what ``rsu.registry.MESSAGE_SETS``
names as ``csae53``. Importing this package imports nothing else.
"""
