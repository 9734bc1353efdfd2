"""Sans-I/O fusion: camera tracks, radar objects and V2X senders -> one object list.

``rsu.fusion.fuser.Fusion`` keeps the latest input of every source and returns fused
``FusedObject`` values on ``fuse(now)``; ``rsu.fusion.sdsm`` builds SDSM content (J2735
messageId 41 / SAE J3224) and ``rsu.fusion.record`` the MQTT object-list record from them.
"""
