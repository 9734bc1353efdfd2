"""Charging sites near the RSU, told to approaching electric vehicles.

A sans-I/O model (``rsu.energy.model``: sites, EVSEs, connectors, free counts, staleness) fed
by sources that are edges with a simulated twin, chosen per site by ``source``: ``ocpi`` (an
OCPI 2.2.1 Location pulled over HTTP), ``modbus`` (a site energy manager or charger over Modbus
TCP, a register map in the config), ``cloud`` (an MQTT command sets the status; no edge) and
``sim`` (a hub whose bays fill and empty). The energy core (``rsu.energy.core``) turns what
they report into J2735 TIM or CSAE 53 RSI broadcast entries, cloud records, events and alarms.
See docs/energy.md.
"""

from __future__ import annotations

from rsu.registry import Registry

SOURCES: Registry = {
    "ocpi": ("rsu.energy.ocpi_http", "OcpiSource"),
    "modbus": ("rsu.energy.modbus", "ModbusSource"),
    "sim": ("rsu.energy.sim", "SimSource"),
}
"""``[[energy.sites]] source`` -> the edge class (imported only when chosen); ``cloud`` sites
have no edge (the ``site_status`` command is their source)."""
