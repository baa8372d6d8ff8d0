"""The on-premises agent: dials out to NATS, takes its site's requests in a queue group and hands each to a host.

Outbound only: the agent opens no port. Several agents per site share the load; see docs/agent.md.
"""
