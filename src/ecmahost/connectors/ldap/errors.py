"""Translate ldap3 errors into the connector's typed errors, at the edge (`raise ... from exc`).

    noSuchObject                                    -> ObjectNotFound
    entryAlreadyExists                              -> ObjectExists
    constraintViolation, invalidAttributeSyntax,    -> ConstraintViolation (the server's own message)
      objectClassViolation, namingViolation, ...
    invalidCredentials, insufficientAccessRights,   -> ConfigurationError (the bind account or the connector
      undefinedAttributeType, size/admin limits        file must change)
    busy, unavailable, time limit, socket errors,   -> TargetUnavailable (the connection is dropped and a new one
      timeouts, TLS handshake failures                 is made on the next request)

Certificate failures (untrusted, expired, wrong host name, pin mismatch) are explained first by `trust.explain`,
as ConfigurationError with the fix.

Messages carry the server's diagnostic text and the operation, never the bind password (ldap3 never puts it in
an exception).
"""

from __future__ import annotations

from ldap3.core import exceptions as ldap_exc

from ecmahost.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    ConstraintViolation,
    ObjectExists,
    ObjectNotFound,
    TargetUnavailable,
)

NO_SUCH_OBJECT = 32
ENTRY_EXISTS = 68
ATTRIBUTE_OR_VALUE_EXISTS = 20
NO_SUCH_ATTRIBUTE = 16
OBJECT_CLASS_VIOLATION = 65
UNAVAILABLE_CRITICAL_EXTENSION = 12

_CONSTRAINT = {16, 19, 20, 21, 34, 53, 64, 65, 66, 67, 69, 18}
_CONFIGURATION = {4, 7, 8, 11, 13, 17, 48, 49, 50}
_UNAVAILABLE = {3, 51, 52, 80}
_CONFIG_HINTS = {
    49: "the bind DN or password is wrong",
    50: "the bind account lacks the access rights",
    17: "an attribute of the connector file is not in the server's schema",
    4: "the server's size limit: raise the bind account's limits (OpenLDAP: size.prtotal=unlimited)",
    11: "the server's administrative limit: raise the bind account's limits",
    13: "the server requires TLS (confidentialityRequired): set `security: starttls` or `ldaps`",
    8: "the server requires a stronger authentication",
    7: "the server does not support an LDAP control or feature the connector needs",
    48: "the server refuses this authentication method",
}


def is_communication_error(exc: BaseException) -> bool:
    return isinstance(
        exc,
        ldap_exc.LDAPCommunicationError
        | ldap_exc.LDAPResponseTimeoutError
        | ldap_exc.LDAPStartTLSError
        | ldap_exc.LDAPMaximumRetriesError
        | OSError,
    )


def result_code(exc: BaseException) -> int | None:
    return exc.result if isinstance(exc, ldap_exc.LDAPOperationResult) else None


def translate(exc: BaseException, operation: str) -> ConnectorError | None:
    """The connector error for an ldap3 error, or None when `exc` is not one."""
    if isinstance(exc, ConnectorError):
        return exc
    if is_communication_error(exc):
        return TargetUnavailable(f"the directory is unreachable ({operation}): {_reason(exc)}")
    if isinstance(exc, ldap_exc.LDAPOperationResult):
        return _from_result(exc, operation)
    if isinstance(exc, ldap_exc.LDAPSSLConfigurationError):
        return ConfigurationError(f"TLS settings of the connector are not usable: {_reason(exc)}")
    if isinstance(exc, ldap_exc.LDAPExceptionError):
        return TargetUnavailable(f"the directory call failed ({operation}): {_reason(exc)}")
    return None


def _from_result(exc: ldap_exc.LDAPOperationResult, operation: str) -> ConnectorError:
    code = exc.result
    message = _server_message(exc)
    if code == NO_SUCH_OBJECT:
        return ObjectNotFound(f"{operation}: no such entry")
    if code == ENTRY_EXISTS:
        return ObjectExists(f"{operation}: an entry with this name already exists")
    if code in _CONSTRAINT:
        return ConstraintViolation(f"{operation}: {message}")
    if code in _CONFIGURATION:
        return ConfigurationError(f"{operation}: {_CONFIG_HINTS.get(code, message)} ({message})")
    if code in _UNAVAILABLE:
        return TargetUnavailable(f"the directory is unavailable ({operation}): {message}")
    return ConstraintViolation(f"{operation}: {message}")


def _server_message(exc: ldap_exc.LDAPOperationResult) -> str:
    description = exc.description or f"result {exc.result}"
    detail = (exc.message or "").strip()
    return f"{description}: {detail}" if detail else description


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    text = str(exc).split("\n")[0]
    return text[:300] if text else type(exc).__name__
