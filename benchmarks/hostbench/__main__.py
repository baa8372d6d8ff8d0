"""`python -m benchmarks.hostbench`: run the benchmark (see `run.py`); exit 1 when any request failed."""

from __future__ import annotations

import sys

from benchmarks.hostbench.run import main

sys.exit(main())
