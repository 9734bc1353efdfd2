"""Traffic signal controllers -> live SPaT.

Sources (edges, chosen by ``[signals] source``): ``tscbm`` (the controller broadcast message
over UDP), ``ntcip1202`` (phase status polled over SNMP), ``sim`` (the fixed-time
ring-and-barrier emulator in ``rsu.signals.emulator``, sending real TSCBM datagrams). Each
delivers ``Datagram``s or ``Report``s to one bounded queue; the sans-I/O ``SignalsCore``
(``rsu.signals.core``) turns them into SPaT (J2735 or CSAE 53), cloud records and alarms.
"""

from __future__ import annotations

from rsu.registry import Registry

SOURCES: Registry = {
    "tscbm": ("rsu.signals.udp", "TscbmSource"),
    "ntcip1202": ("rsu.signals.ntcip1202", "Ntcip1202Source"),
    "sim": ("rsu.signals.sim", "SimSource"),
}
"""``[signals] source`` -> the edge class (imported only when chosen)."""
