"""Errors a connector raises. Library errors (SQLAlchemy, ldap3, ...) are translated into these at the connector
edge, `raise ... from exc`; the http layer turns them into SCIM errors.

    ConnectorError
    ├── ObjectNotFound        -> 404
    ├── ObjectExists          -> 409 uniqueness   (a unique attribute or the anchor is taken)
    ├── ConstraintViolation   -> 400 invalidValue (NOT NULL, bad syntax, value too long, schema violation)
    ├── TargetUnavailable     -> 503 + Retry-After (down, timeout, pool exhausted)
    └── ConfigurationError    -> 500, logged       (table or column missing: the connector file is wrong)
        └── TargetMismatch    -> 503 naming it     (an object type the file describes wrongly: not served,
                                                    the connector's other object types are)
"""

from __future__ import annotations


class ConnectorError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ObjectNotFound(ConnectorError):
    pass


class ObjectExists(ConnectorError):
    pass


class ConstraintViolation(ConnectorError):
    pass


class TargetUnavailable(ConnectorError):
    def __init__(self, detail: str, retry_after: int = 30) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ConfigurationError(ConnectorError):
    pass


class TargetMismatch(ConfigurationError):
    """The connector file names what the target lacks for one object type (found by `Connector.verify` or when
    the connector first reads its target): that object type is not served until the file is fixed."""
