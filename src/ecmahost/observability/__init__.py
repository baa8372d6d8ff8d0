"""Observability: logging (two sources with ECMA levels, redaction, rotating files), the request log, Prometheus
metrics, recent target errors, and the host's run files (`run/host.pid`, `run/state.json`) with the monitor that
applies a changed log level while the host runs."""
