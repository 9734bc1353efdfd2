"""rsu-edge: the roadside-unit edge stack."""

__version__ = "0.1.0"
