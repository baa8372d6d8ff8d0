"""The SCIM layer: parses requests into neutral operations and renders resources.

It holds the SCIM rules (RFC 7643/7644 and Entra's quirks) and does no I/O: it never opens a socket or a
database connection; it calls a connector through plain data.
"""
