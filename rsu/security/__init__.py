"""IEEE 1609.2 security: verify what the RSU hears, sign what it sends.

Sans-I/O cores: :mod:`~rsu.security.verify` (a received SPDU and ``now`` in, a result code
out), :mod:`~rsu.security.trust` (anchors, intermediates, a bounded cache of certificates
seen, revocations), :mod:`~rsu.security.sign` (a frame in, signed data out),
:mod:`~rsu.security.crl`, :mod:`~rsu.security.expiry`. Edges: key stores
(:mod:`~rsu.security.keys`: a PEM file, PKCS#11 through ``python-pkcs11``) and the files of
a trust directory (:mod:`~rsu.security.files`). The parser of 1609.2 structures is
:mod:`rsu.v2x.dot2` (one for the receive path and for verification).
"""
