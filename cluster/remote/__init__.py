"""Remote operations on cluster servers over SSH (Fabric/paramiko).

Pure layer: plain dataclasses and arguments in, dataclasses out; no Django, no ORM.
"""
