"""The public SCIM conformance tools (scim2-tester, scim-sanity) run in-process against the real host over HTTPS,
and the core-only connectors they are run against (SQL on the demo tables, LDAP on slapd, CSV).

Each tool's results are reduced to `Outcome`: the checks that passed, and the failed ones by a stable check name
(resource ids taken out) with the tool's message, so a test can compare them with its tables of expected failures.
This module starts nothing by itself and asserts nothing."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
from scim_sanity.probe.runner import run_probe_api

from ecmahost.config.model import ConnectorConfig
from ecmahost.demo import demo_connector

from support.slapd import Slapd, connector_file

CORE_VIEWS = "views" in ConnectorConfig.model_fields
"""whether this tree has the `views:` setting (issue 13 item 4); until it has, a connector serves both views"""

TESTER_PASSES = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
_ANSWERED = re.compile(r" answered (5\d\d) ")
_RESOURCE_ID = re.compile(r"/(Users|Groups)/(?!\{id\})[^/\s]+")


@dataclass
class Outcome:
    """One tool's run against one target: counts, and every check that did not pass, by check name."""

    tool: str
    target: str
    passed: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(check name, the tool's message) of every check that did not pass, in the order the tool ran them"""
    server_errors: list[str] = field(default_factory=list)
    """the host's log lines of the 5xx answers it gave the tool (501 for what it does not implement excepted)"""

    @property
    def failed(self) -> dict[str, str]:
        return dict(self.failures)

    @property
    def figures(self) -> str:
        total = self.passed + self.skipped + len(self.failures)
        failed = len(self.failures)
        return f"{self.tool} on {self.target}: {self.passed} passed, {failed} failed, {self.skipped} skipped of {total}"


def server_errors(log: Path, since: int) -> list[str]:
    """The 5xx answers (other than 501 Not Implemented) the host logged in `log` after byte `since`."""
    with log.open("rb") as lines:
        lines.seek(since)
        text = lines.read().decode("utf-8", "replace")
    return [line for line in text.splitlines() if (found := _ANSWERED.search(line)) and found[1] != "501"]


def core_only(raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` served in the core (+ enterprise) view only, where this tree has the `views:` setting."""
    return {**raw, "views": "core"} if CORE_VIEWS else raw


def sql_connector(url: str) -> dict[str, Any]:
    """The demo connector over the demo tables at `url`, core view only."""
    return core_only(demo_connector("conformance", url))


def ldap_connector(server: Slapd) -> dict[str, Any]:
    """The slapd test directory, core view only, mapped as a strict client expects: `active` is kept in
    `employeeType` (inetOrgPerson has no enabled flag), so a disable is a write the client reads back rather than
    the Entra template's delete; `externalId` in `description`; `cn` (MUST, defaulted on create) is required."""
    raw = connector_file(server, "conformance")
    user, group = raw["object_types"]["User"], raw["object_types"]["Group"]
    user["attributes"]["cn"]["required"] = True  # MUST, defaulted on create from uid: still never removable
    user["attributes"]["employeeType"] = {"scim": "active", "type": "boolean"}
    user["attributes"]["description"] = {"scim": "externalId", "case_exact": True}
    user["deprovisioning"] = {"disable": {"set": {"employeeType": False}}, "delete": "delete"}
    group["attributes"]["description"] = {"scim": "externalId", "case_exact": True}
    return core_only(raw)


def csv_connector() -> dict[str, Any]:
    """examples/csv/people.yaml reduced to core attributes (no enterprise extension, no phones)."""
    user = {
        "Id": {"mutability": "readOnly", "case_exact": True},
        "Login": {"scim": "userName", "required": True, "unique": True},
        "FirstName": {"scim": "name.givenName"},
        "LastName": {"scim": "name.familyName"},
        "Email": {"scim": 'emails[type eq "work"].value'},
        "ExternalId": {"scim": "externalId", "case_exact": True},
        "DisplayName": {"scim": "displayName"},
        "Title": {"scim": "title"},
        "Active": {"scim": "active", "type": "boolean"},
    }
    group = {
        "Id": {"mutability": "readOnly", "case_exact": True},
        "DisplayName": {"scim": "displayName", "required": True, "unique": True},
        "ExternalId": {"scim": "externalId", "case_exact": True},
    }
    return core_only(
        {
            "name": "conformance",
            "type": "csv",
            "description": "core attributes only",
            "connection": {"folder": "data", "multi_value_separator": ";"},
            "object_types": {
                "User": {
                    "file": "people.csv",
                    "anchor": "Id",
                    "attributes": user,
                    "deprovisioning": {"disable": {"set": {"Active": False}}, "delete": "delete"},
                },
                "Group": {"file": "groups.csv", "members_column": "Members", "anchor": "Id", "attributes": group},
            },
        }
    )


def run_scim2_tester(target: str, url: str, token: str, cafile: Path) -> Outcome:
    """Every check of scim2-tester (discovery, then CRUD on each resource type it discovers)."""
    verify = ssl.create_default_context(cafile=str(cafile))
    headers = {"Authorization": f"Bearer {token}"}
    outcome = Outcome("scim2-tester", target)
    with httpx2.Client(base_url=url, headers=headers, verify=verify, timeout=30) as http:
        for result in check_server(SyncSCIMClient(http)):
            name = f"{result.resource_type}:{result.title}" if result.resource_type else str(result.title)
            if result.status in TESTER_PASSES:
                outcome.passed += 1
            elif result.status is Status.SKIPPED:
                outcome.skipped += 1
            else:
                outcome.failures.append((name, f"{result.status.name}: {result.reason}"))
    return outcome


def run_scim_sanity(target: str, url: str, token: str, cafile: Path) -> Outcome:
    """scim-sanity's probe in strict mode; its warnings are not failures (as in the tool's own exit code)."""
    report = run_probe_api(url, token=token, ca_bundle=str(cafile), strict=True, timeout=30)
    outcome = Outcome("scim-sanity", target)
    for result in report["results"]:
        name = _RESOURCE_ID.sub(r"/\1/{id}", result["name"])
        if result.get("phase") == "Cleanup":
            name = f"cleanup {name}"
        if result["status"] in ("pass", "warn"):
            outcome.passed += 1
        elif result["status"] == "skip":
            outcome.skipped += 1
        else:
            outcome.failures.append((name, f"{result['status']}: {result.get('message', '')}"))
    return outcome
