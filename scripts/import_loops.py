"""Print the import loops between sibling modules of every package of ecmahost (what `lint-imports`'
`acyclic_siblings` contract forbids), with one import that closes each loop.

Usage: .venv/bin/python scripts/import_loops.py [package]   (default: ecmahost)

A loop is a strongly connected group of siblings: `ecmahost.config` and `ecmahost.connectors` are in one when
something under config imports something under connectors and the other way round, directly or through other
siblings. Imports inside functions and under `TYPE_CHECKING` count: they tie the modules together all the same.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import grimp


def sibling_edges(graph: grimp.ImportGraph, package: str) -> dict[str, set[str]]:
    """child -> the children of `package` it imports (through any descendant of each)."""
    children = sorted(graph.find_children(package))
    edges: dict[str, set[str]] = defaultdict(set)
    for a in children:
        for b in children:
            if a != b and example_import(graph, a, b):
                edges[a].add(b)
    return edges


def loops(edges: dict[str, set[str]], nodes: list[str]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in nodes:
        if node not in index:
            visit(node)
    return found


def example_import(graph: grimp.ImportGraph, a: str, b: str) -> str:
    for expression in (f"{a} -> {b}", f"{a} -> {b}.**", f"{a}.** -> {b}", f"{a}.** -> {b}.**"):
        matches = graph.find_matching_direct_imports(import_expression=expression)
        if matches:
            first = matches[0]
            return f"{first['importer']} -> {first['imported']}"
    return ""


def main(root: str) -> int:
    graph = grimp.build_graph(root, cache_dir=None)
    packages = sorted(m for m in graph.modules if graph.find_children(m))
    total = 0
    for package in packages:
        children = sorted(graph.find_children(package))
        edges = sibling_edges(graph, package)
        for group in loops(edges, children):
            total += 1
            print(f"{package}: loop of {len(group)}: {', '.join(m.rsplit('.', 1)[1] for m in group)}")
            members = set(group)
            for a in group:
                for b in sorted(edges.get(a, set()) & members):
                    print(f"    {example_import(graph, a, b)}")
    print(f"{total} loop(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "ecmahost"))
