"""Configuration: one TOML file -> frozen dataclasses. See ``rsu.config.fields``."""
