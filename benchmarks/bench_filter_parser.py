"""Micro-benchmark of the SCIM filter parser: prints microseconds per parse for a few filters (no assertions).

Run: .venv/bin/python benchmarks/bench_filter_parser.py
"""

from __future__ import annotations

import timeit

from ecmahost.scim.filter_parser import parse_filter, parse_path
from ecmahost.scim.filter_render import render_filter

FILTERS = [
    'userName eq "x"',
    "externalId eq jyoung",
    'emails[type eq "work"].value eq "someone@example.com"',
    'urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User:-dn- eq "CN=a,OU=b"',
    'userName eq "a" and externalId eq "b" and active eq true',
    'title pr and (userType eq "Employee" or not (emails co "example.org" and meta.lastModified gt "2011"))',
]
PATHS = ['emails[type eq "work"].value', "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"]


def _per_call_us(fn: object, text: str, number: int = 20_000) -> float:
    best = min(timeit.repeat(lambda: fn(text), number=number, repeat=5))  # type: ignore[operator]
    return best / number * 1e6


def main() -> None:
    for text in FILTERS:
        print(f"parse_filter  {_per_call_us(parse_filter, text):7.2f} µs  {text}")
    for text in PATHS:
        print(f"parse_path    {_per_call_us(parse_path, text):7.2f} µs  {text}")
    ast = parse_filter(FILTERS[-1])
    best = min(timeit.repeat(lambda: render_filter(ast), number=20_000, repeat=5))
    print(f"render_filter {best / 20_000 * 1e6:7.2f} µs  {FILTERS[-1]}")


if __name__ == "__main__":
    main()
