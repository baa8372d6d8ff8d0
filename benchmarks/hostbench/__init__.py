"""ecmahost's load benchmark: seed PostgreSQL, start the host as in production, drive it with wrk, report figures.

Run it with `make bench` (or `python -m benchmarks.hostbench --help`). Modules: `options` (what can be set),
`seed` (the target database), `servers` (the host and the comparison servers under uvicorn), `wrk` and
`workloads` (the load), `processes` (CPU and memory of the processes), `pgbench` (the database's own limits),
`profiling` (py-spy), `report` (table, JSON, chart). It never asserts a timing: it measures and prints.
"""
