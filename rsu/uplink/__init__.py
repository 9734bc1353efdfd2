"""The cloud uplink: durable spool (SQLite) in front of MQTT (paho), topic dialects, commands.

The daemon owns one ``Uplink`` (``rsu.uplink.service``); see docs/uplink.md.
"""
