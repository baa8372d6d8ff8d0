"""Micro-benchmark of the SCIM filter parser: prints microseconds per parse for a few filters (no assertions).

Each filter is timed through `parse_filter` and through the full parser alone (`_parse_full`, what
`parse_filter` did before its one-regex fast path for `<attrPath> <op> "<string>"`), so one run shows what the
fast path saves on Entra's shape and what its failed attempt costs the others. PATCH paths likewise go through
`parse_path` and `_parse_path_full` (`parse_path` before its fast path for a plain `[urn:]attr[.sub]`). Process
CPU time, best of 5, so other work on the machine inflates the figures less.

Run: .venv/bin/python benchmarks/bench_filter_parser.py
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable

from ecmahost.scim.filter_parser import _parse_full, _parse_path_full, parse_filter, parse_path
from ecmahost.scim.filter_render import render_filter

FILTERS = [
    'userName eq "user123@contoso.com"',  # Entra's GET; its dummy query is the same shape
    'userName eq "x"',
    "externalId eq jyoung",
    'emails[type eq "work"].value eq "someone@example.com"',
    'urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User:-dn- eq "CN=a,OU=b"',
    'userName eq "a" and externalId eq "b" and active eq true',
    'title pr and (userType eq "Employee" or not (emails co "example.org" and meta.lastModified gt "2011"))',
]
PATHS = [
    "title",  # Entra's PATCH paths: plain attributes, ...
    "name.familyName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "members",
    'emails[type eq "work"].value',  # ... and sometimes a value path (the full parser's)
    'members[value eq "7f4bc1a3-0000"]',
]


def _per_call_us(fn: Callable[[str], object], text: str, number: int = 20_000) -> float:
    timer = timeit.Timer(lambda: fn(text), timer=time.process_time)
    return min(timer.repeat(number=number, repeat=5)) / number * 1e6


def main() -> None:
    print("              parse_filter  _parse_full")
    for text in FILTERS:
        fast, full = _per_call_us(parse_filter, text), _per_call_us(_parse_full, text)
        print(f"parse_filter  {fast:9.2f} µs {full:9.2f} µs  {text}")
    print("              parse_path    _parse_path_full")
    for text in PATHS:
        fast, full = _per_call_us(parse_path, text), _per_call_us(_parse_path_full, text)
        print(f"parse_path    {fast:9.2f} µs {full:9.2f} µs  {text}")
    ast = parse_filter(FILTERS[-1])
    print(f"render_filter {_per_call_us(lambda _: render_filter(ast), ''):9.2f} µs  {FILTERS[-1]}")


if __name__ == "__main__":
    main()
