"""The result of a connection test: named steps, each passed, failed (with the fix), skipped or passed with a
warning, and the report that gathers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class StepStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a status
    WARN = "warn"
    """passed, with something to know (a certificate expiring soon, verification skipped by --insecure)"""
    FAIL = "fail"
    SKIP = "skip"
    """not run: an earlier step failed, or what it needs (a token) was not given"""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    status: StepStatus
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        data = {"name": self.name, "status": self.status.value, "detail": self.detail}
        if self.fix:
            data["fix"] = self.fix
        return data


def passed(name: str, detail: str) -> Step:
    return Step(name, StepStatus.PASS, detail)


def warned(name: str, detail: str) -> Step:
    return Step(name, StepStatus.WARN, detail)


def failed(name: str, detail: str, fix: str) -> Step:
    return Step(name, StepStatus.FAIL, detail, fix)


def skipped(name: str, detail: str) -> Step:
    return Step(name, StepStatus.SKIP, detail)


@dataclass
class Report:
    connector: str
    url: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every step passed (a warning counts as passed; a skipped step does not)."""
        return bool(self.steps) and all(step.status in (StepStatus.PASS, StepStatus.WARN) for step in self.steps)

    @property
    def blocked(self) -> bool:
        """An earlier step failed in a way that makes the later steps meaningless."""
        return any(step.status is StepStatus.FAIL for step in self.steps)

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def step(self, name: str) -> Step | None:
        return next((step for step in self.steps if step.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "url": self.url,
            "ok": self.ok,
            "steps": [step.to_dict() for step in self.steps],
        }
