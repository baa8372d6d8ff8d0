"""Translate ldap3 errors into the connector's typed errors, at the edge (`raise ... from exc`).

    noSuchObject                                    -> ObjectNotFound
    entryAlreadyExists                              -> ObjectExists
    constraintViolation, invalidAttributeSyntax,    -> ConstraintViolation saying what the directory refused in
      objectClassViolation, namingViolation, ...       plain words, naming the attribute when the server does
                                                       (`sn` required, `mail` of the wrong syntax), never the
                                                       server's own text
    invalidCredentials, insufficientAccessRights,   -> ConfigurationError (the bind account or the connector
      undefinedAttributeType, size/admin limits        file must change)
    busy, unavailable, time limit, socket errors,   -> TargetUnavailable (the connection is dropped and a new one
      timeouts, TLS handshake failures                 is made on the next request)

Certificate failures (untrusted, expired, wrong host name, pin mismatch) are explained first by `trust.explain`,
as ConfigurationError with the fix.

Messages of configuration and availability errors carry the server's diagnostic text and the operation (for the
admin and the log), never the bind password (ldap3 never puts it in an exception).
"""

from __future__ import annotations

import re

from ldap3.core import exceptions as ldap_exc

from ecmahost.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    ConstraintViolation,
    ObjectExists,
    ObjectNotFound,
    Problem,
    TargetUnavailable,
)

NO_SUCH_OBJECT = 32
ENTRY_EXISTS = 68
ATTRIBUTE_OR_VALUE_EXISTS = 20
NO_SUCH_ATTRIBUTE = 16
OBJECT_CLASS_VIOLATION = 65
UNAVAILABLE_CRITICAL_EXTENSION = 12

INVALID_SYNTAX = 21
CONSTRAINT_VIOLATION = 19

_CONSTRAINT = {16, 19, 20, 21, 34, 53, 64, 65, 66, 67, 69, 18}
_REQUIRES = re.compile(r"object class '([^']+)' requires attribute '([^']+)'")
_ATTRIBUTE_FIRST = re.compile(r"([A-Za-z][\w;-]*): ")
_INVALID_VALUE = re.compile(r"non valid for attribute '([^']+)'")
_REFUSALS = {
    16: "the directory has no such attribute value to change",
    18: "the directory cannot compare a value of this attribute",
    19: "the directory refuses a value (a constraint such as a size limit or a single-valued attribute)",
    20: "the directory already holds this value",
    21: "a value does not match its attribute's syntax in the directory",
    34: "the directory refuses the entry's name (not a valid DN)",
    53: "the directory is unwilling to make this change",
    64: "the directory's naming rules refuse the entry's name",
    65: "the directory's object classes refuse the entry (an attribute is missing or not allowed)",
    66: "the directory cannot remove an entry that has entries below it",
    67: "the directory refuses a change of the attribute that names the entry",
    69: "the directory refuses a change of the entry's object classes",
}
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
        return TargetUnavailable(f"the directory is unreachable ({operation})", reason=_reason(exc))
    if isinstance(exc, ldap_exc.LDAPOperationResult):
        return _from_result(exc, operation)
    if isinstance(exc, ldap_exc.LDAPSSLConfigurationError):
        return ConfigurationError(f"TLS settings of the connector are not usable: {_reason(exc)}")
    if isinstance(exc, ldap_exc.LDAPInvalidValueError):  # ldap3's own schema check, before anything is sent
        named = _INVALID_VALUE.search(str(exc))
        if named is None:
            return ConstraintViolation("a value does not match its attribute's syntax in the directory's schema")
        return _refusal(INVALID_SYNTAX, f"{named[1]}: ")
    if isinstance(exc, ldap_exc.LDAPExceptionError):
        return TargetUnavailable(f"the directory call failed ({operation})", reason=_reason(exc))
    return None


def _from_result(exc: ldap_exc.LDAPOperationResult, operation: str) -> ConnectorError:
    code = exc.result
    message = _server_message(exc)
    if code == NO_SUCH_OBJECT:
        return ObjectNotFound(f"{operation}: no such entry")
    if code == ENTRY_EXISTS:
        return ObjectExists(f"{operation}: an entry with this name already exists")
    if code in _CONSTRAINT:
        return _refusal(code, (exc.message or "").strip())
    if code in _CONFIGURATION:
        return ConfigurationError(f"{operation}: {_CONFIG_HINTS.get(code, message)} ({message})")
    if code in _UNAVAILABLE:
        return TargetUnavailable(f"the directory is unavailable ({operation})", reason=message)
    return _refusal(code, (exc.message or "").strip())


def _refusal(code: int, diagnostic: str) -> ConstraintViolation:
    """What the directory refused, in words a SCIM client can act on; the attribute when the server names it."""
    if code == OBJECT_CLASS_VIOLATION and (required := _REQUIRES.search(diagnostic)):
        attribute = required[2]
        return ConstraintViolation(
            f"{attribute} is required by the directory (object class {required[1]}): send it, or give it a value in "
            "the connector's create_defaults",
            attribute=attribute,
            problem=Problem.REQUIRED,
        )
    if code in (INVALID_SYNTAX, CONSTRAINT_VIOLATION) and (named := _ATTRIBUTE_FIRST.match(diagnostic)):
        attribute = named[1]
        what = "does not match the attribute's syntax" if code == INVALID_SYNTAX else "breaks a constraint"
        return ConstraintViolation(
            f"{attribute}: the directory refuses the value (it {what}); send a value the attribute accepts",
            attribute=attribute,
            problem=Problem.BAD_VALUE,
        )
    reason = _REFUSALS.get(code, "the directory refuses the change")
    return ConstraintViolation(f"{reason}; check the values sent against the directory's schema")


def _server_message(exc: ldap_exc.LDAPOperationResult) -> str:
    description = exc.description or f"result {exc.result}"
    detail = (exc.message or "").strip()
    return f"{description}: {detail}" if detail else description


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    text = str(exc).split("\n")[0]
    return text[:300] if text else type(exc).__name__
