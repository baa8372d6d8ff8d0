"""Errors a connector raises. Library errors (SQLAlchemy, ldap3, ...) are translated into these at the connector
edge, `raise ... from exc`; the service (`service.TargetCall`, with `scim.target_errors`) turns them into SCIM
errors, and the http layer only renders those.

    ConnectorError
    ├── ObjectNotFound        -> 404
    ├── ObjectExists          -> 409 uniqueness   (a unique attribute or the anchor is taken)
    ├── ConstraintViolation   -> 400 invalidValue (NOT NULL, bad syntax, value too long, schema violation)
    │   └── MembersNotFound   -> 400 invalidValue naming the member ids that name no object
    ├── TargetUnavailable     -> 503 + Retry-After (down, timeout, pool exhausted)
    └── ConfigurationError    -> 500, logged       (table or column missing: the connector file is wrong)
        └── TargetMismatch    -> 503 naming it     (an object type the file describes wrongly: not served,
                                                    the connector's other object types are)
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

SHOWN_IDS = 5
"""Member ids named in a `MembersNotFound` detail; the count says how many more."""


class Problem(StrEnum):
    """What the target refuses about one attribute's value, so the SCIM layer can say it with the attribute's
    SCIM path."""

    REQUIRED = "required"
    """the target needs a value (NOT NULL without a default, a required LDAP attribute)"""
    TOO_LONG = "too long"
    BAD_VALUE = "bad value"
    """wrong type, out of range, invalid syntax"""
    TAKEN = "taken"
    """unique"""


class ConnectorError(Exception):
    """`detail` is a sentence a person can act on, without the target's raw message; `attribute` (the target
    attribute or column, as the target names it) and `problem` say which value and why, when the target said so.
    A `detail` with an `attribute` starts with it: the SCIM layer puts the attribute's SCIM path in its place."""

    def __init__(self, detail: str, *, attribute: str | None = None, problem: Problem | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.attribute = attribute
        self.problem = problem


class ObjectNotFound(ConnectorError):
    pass


class ObjectExists(ConnectorError):
    pass


class ConstraintViolation(ConnectorError):
    pass


class MembersNotFound(ConstraintViolation):
    """Member ids of a group write that name no object of the target (a foreign key or a member DN to nothing)."""

    def __init__(self, ids: Sequence[str], member_type: str = "User") -> None:
        self.ids = tuple(dict.fromkeys(ids))
        shown = ", ".join(repr(member[:100]) for member in self.ids[:SHOWN_IDS])
        more = f" and {len(self.ids) - SHOWN_IDS} more" if len(self.ids) > SHOWN_IDS else ""
        pronoun = "it" if len(self.ids) == 1 else "them"
        plural = "" if len(self.ids) == 1 else "s"
        noun = pronoun if " " in member_type else f"the {member_type.lower()}{plural}"  # "User or Group": it
        super().__init__(
            f"members: no {member_type} with id {shown}{more}; add {noun} first or remove {pronoun} from the request"
        )


class TargetUnavailable(ConnectorError):
    """`reason` is what the target or its driver said (the host log and `ecmahost status` show it after the
    detail); it is never sent to the SCIM client."""

    def __init__(self, detail: str, retry_after: int = 30, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.reason = reason


class ConfigurationError(ConnectorError):
    pass


class TargetMismatch(ConfigurationError):
    """The connector file names what the target lacks for one object type (found by `Connector.verify` or when
    the connector first reads its target): that object type is not served until the file is fixed."""
