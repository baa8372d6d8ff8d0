#!/usr/bin/env python3
"""A complete ecmahost script connector in Python (standard library only): users and groups in a JSON file.

Run by the host as `python3 users_connector.py` (one request per process) or `python3 users_connector.py --worker`
(one JSON request per stdin line, one JSON answer per stdout line). The file is `DATA_FILE` (a connector
parameter, passed as an environment variable). It implements protocol 1 of docs/script-connector.md: the filter
tree with SCIM semantics, sort, paging, unique attributes, members. Diagnostics go to stderr (the host logs them).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import uuid
from typing import Any

DATA_FILE = os.environ.get("DATA_FILE", "script-data.json")


class Failure(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


# -- storage ---------------------------------------------------------------------------------------------
def load() -> dict[str, list[dict[str, Any]]]:
    try:
        with open(DATA_FILE, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def save(data: dict[str, list[dict[str, Any]]]) -> None:
    folder = os.path.dirname(os.path.abspath(DATA_FILE))
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.replace(temporary, DATA_FILE)


# -- filters (SCIM semantics) ----------------------------------------------------------------------------
def present(value: Any) -> bool:
    return value not in (None, "", [], {})


def fold(value: Any, case_exact: bool) -> Any:
    return value.casefold() if isinstance(value, str) and not case_exact else value


def compare(node: dict[str, Any], actual: Any) -> bool:
    op, expected, exact = node["op"], node["value"], node.get("case_exact", True)
    if op == "ne":
        return not compare({**node, "op": "eq"}, actual)
    if not present(actual) or expected is None:
        return False
    if isinstance(actual, list):
        return any(compare(node, item) for item in actual)
    left, right = fold(actual, exact), fold(expected, exact)
    if isinstance(left, str) != isinstance(right, str):
        left, right = str(left).lower() if isinstance(left, bool) else str(left), str(right)
    if op == "eq":
        return left == right
    if op in ("co", "sw", "ew"):
        if not isinstance(left, str):
            return False
        return right in left if op == "co" else left.startswith(right) if op == "sw" else left.endswith(right)
    try:
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    except TypeError:
        return False


def matches(node: dict[str, Any] | None, record: dict[str, Any]) -> bool:
    if node is None:
        return True
    op = node["op"]
    if op == "and":
        return all(matches(item, record) for item in node["items"])
    if op == "or":
        return any(matches(item, record) for item in node["items"])
    if op == "not":
        return not matches(node["item"], record)
    if op == "const":
        return bool(node["value"])
    if op == "pr":
        return present(record.get(node["attribute"]))
    if op == "any":
        elements = record.get(node["attribute"]) or []
        if node["attribute"] == "members":
            elements = [{"value": member} for member in elements]
        return any(matches(node["item"], element) for element in elements if isinstance(element, dict))
    return compare(node, record.get(node["attribute"]))


# -- operations ------------------------------------------------------------------------------------------
def project(record: dict[str, Any], attributes: list[str] | None, anchor: str) -> dict[str, Any]:
    if attributes is None:
        return {k: v for k, v in record.items() if k != "members"}
    return {k: v for k, v in record.items() if k in attributes or k == anchor}


def find(objects: list[dict[str, Any]], anchor: str, value: str) -> dict[str, Any]:
    for record in objects:
        if record.get(anchor) == value:
            return record
    raise Failure("not_found", f"no object with {anchor} {value}")


def check_unique(definition: dict[str, Any], objects: list[dict[str, Any]], record: dict[str, Any]) -> None:
    for name, attribute in definition["attributes"].items():
        if not (attribute["unique"] or name == definition["anchor"]) or not present(record.get(name)):
            continue
        mine = fold(record[name], attribute["case_exact"])
        for other in objects:
            if other is not record and fold(other.get(name), attribute["case_exact"]) == mine:
                raise Failure("exists", f"another object already has this {name}")


def check_required(definition: dict[str, Any], record: dict[str, Any]) -> None:
    for name, attribute in definition["attributes"].items():
        if attribute["required"] and not present(record.get(name)):
            raise Failure("constraint", f"{name} is required")


def check_members(data: dict[str, list[dict[str, Any]]], anchor: str, members: list[str]) -> None:
    known = {str(r.get(anchor)) for objects in data.values() for r in objects}
    missing = [m for m in members if m not in known]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise Failure("constraint", f"members: {shown} name no existing object; add those objects first")


def search(data: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    anchor = request["definition"]["anchor"]
    found = [r for r in data.get(request["object_type"], []) if matches(request["filter"], r)]
    sort = request.get("sort")
    if sort:
        name = sort["attribute"]
        with_value = [r for r in found if present(r.get(name))]
        with_value.sort(key=lambda r: fold(r[name], False), reverse=sort["descending"])
        found = with_value + [r for r in found if not present(r.get(name))]
    offset, limit = request.get("offset") or 0, request.get("limit")
    page = found[offset : None if limit is None else offset + limit]
    return {"total": len(found), "records": [project(r, request.get("attributes"), anchor) for r in page]}


def get(data: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    anchor = request["definition"]["anchor"]
    record = find(data.get(request["object_type"], []), anchor, request["anchor"])
    return {"record": project(record, request.get("attributes"), anchor)}


def create(data: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    definition = request["definition"]
    anchor = definition["anchor"]
    record = {k: v for k, v in request["record"].items() if v is not None}
    record.setdefault(anchor, str(uuid.uuid4()))
    if definition["has_members"]:
        record["members"] = list(dict.fromkeys(record.get("members") or []))
        check_members(data, anchor, record["members"])
    objects = data.setdefault(request["object_type"], [])
    check_required(definition, record)
    check_unique(definition, objects, record)
    objects.append(record)
    return {"record": record}


def update(data: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    definition, change = request["definition"], request["change"]
    objects = data.get(request["object_type"], [])
    current = find(objects, definition["anchor"], request["anchor"])
    record = json.loads(json.dumps(current))
    for name, value in {**change["set"], **change["replace"]}.items():
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value
    if change["add_members"] or change["remove_members"] or change["clear_members"]:
        check_members(data, definition["anchor"], change["add_members"])
        removed = set(change["remove_members"])
        members = [] if change["clear_members"] else record.get("members", [])
        members = [m for m in members if m not in removed]
        members += [m for m in dict.fromkeys(change["add_members"]) if m not in members and m not in removed]
        record["members"] = members
    check_required(definition, record)
    check_unique(definition, [o for o in objects if o is not current], record)
    current.clear()
    current.update(record)
    return {}


def delete(data: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    anchor = request["definition"]["anchor"]
    objects = data.get(request["object_type"], [])
    record = find(objects, anchor, request["anchor"])
    objects.remove(record)
    for others in data.values():
        for other in others:
            if request["anchor"] in other.get("members", []):
                other["members"].remove(request["anchor"])
    return {}


def schema(data: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    names = {name for objects in data.values() for record in objects for name in record}
    return {"object_classes": [{"name": "object", "attributes": [{"name": n} for n in sorted(names)]}]}


OPERATIONS = {"search": search, "get": get, "create": create, "update": update, "delete": delete, "schema": schema}
WRITES = {"create", "update", "delete"}


def answer(data: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    operation = request.get("operation")
    if operation == "check":
        return {}
    if operation not in OPERATIONS:
        return {"error": {"kind": "configuration", "detail": f"operation {operation} is not supported"}}
    snapshot = json.dumps(data)
    try:
        result = OPERATIONS[operation](data, request)
    except Failure as failure:
        data.clear()
        data.update(json.loads(snapshot))  # all or nothing
        return {"error": {"kind": failure.kind, "detail": failure.detail}}
    if operation in WRITES:
        save(data)
    return result


def main() -> int:
    if "--worker" in sys.argv:
        data = load()
        for line in sys.stdin:
            if line.strip():
                sys.stdout.write(json.dumps(answer(data, json.loads(line))) + "\n")
                sys.stdout.flush()
        return 0
    print(f"{os.getpid()}: one request", file=sys.stderr)
    sys.stdout.write(json.dumps(answer(load(), json.load(sys.stdin))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
