"""The relay: an HTTPS front door that turns each SCIM request into one NATS request to the site's agents.

It stores no connector token (Authorization travels to the host) and keeps no state per request beyond the NATS
reply. See docs/agent.md for the envelope, the subjects and the failure mapping.
"""
