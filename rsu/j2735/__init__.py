"""SAE J2735 (2020; J3224 SDSM and J2945/4 RSM from J2735-2024): the US message set.

Everything the RSU knows about this set lives here: the ASN.1 modules (``asn/``), the message
table (``messages``), the frame strategy (``framing``: a MessageFrame carries its own length),
restamping, the sender report of a BSM/PSM and the SDSM plug-in (``plugin``, registered as
``j2735`` in ``rsu.registry.MESSAGE_SETS``). Importing this package imports nothing else.
"""
