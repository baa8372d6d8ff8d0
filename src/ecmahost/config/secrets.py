"""Secrets in connector files: references, encryption at rest, masking.

A secret value in a connector's `connection` is written as one of:

- `${env:NAME}`: read from the environment when the file is loaded (also inside a URL:
  `postgresql://app:${env:DB_PASSWORD}@db/hr`);
- `enc:<Fernet token>`: encrypted with the home's `secret.key` (created by the first `encrypt`), written by
  `ecmahost connector set-secret` or by an import.

A plain value in a field whose name looks secret (`password`, `client_secret`, `api_key`, `token`, ...) or a
plain password inside a URL is refused. Resolved values are `Secret`: a `str` whose `str`/`repr`/format are
masked.

This module transforms mappings of values; it does not read connector files (`config.store` does) and never
logs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.fernet import Fernet, InvalidToken
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ecmahost.config.errors import ConfigFileError, Issue
from ecmahost.home import Home, write_private

MASK = "********"
REDACTED = "<redacted>"
ENCRYPTED_PREFIX = "enc:"
ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "apikey", "passphrase", "credential"})
_SECRET_SUFFIXES = ("api_key", "apikey", "private_key", "client_secret", "access_key")
_WORD_SPLIT = re.compile(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])")


class Secret(str):
    """A secret string: behaves as `str` for code that uses it (a URL parser, a driver), but `str()`,
    `repr()`, `%s` and f-strings show `********`. `reveal()` gives the value. As a pydantic field type it
    stays a `Secret` and serializes to `********` in JSON mode."""

    __slots__ = ()

    def reveal(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda value: MASK, when_used="json"),
        )


def looks_secret(field: str) -> bool:
    """Whether a field name says it holds a secret: its last word is password/secret/token/..., or it ends
    with api_key, client_secret, private_key, access_key (`bind_password`, `clientSecret`; not
    `token_url`)."""
    lowered = field.lower()
    if lowered.endswith(_SECRET_SUFFIXES):
        return True
    words = [word for word in _WORD_SPLIT.split(field) if word]
    return bool(words) and words[-1].lower() in _SECRET_WORDS


def url_password(value: str) -> str | None:
    """The password written in a URL (user info, or a secret-looking query parameter), or None."""
    if "://" not in value:
        return None
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return None
    if password:
        return password
    for key, item in parse_qsl(parts.query):
        if item and looks_secret(key):
            return item
    return None


def is_reference(value: str) -> bool:
    return bool(ENV_REFERENCE.search(value)) or value.startswith(ENCRYPTED_PREFIX)


# --- encryption at rest -------------------------------------------------------------------------------------


def _fernet(home: Home, *, create: bool) -> Fernet | None:
    path = home.secret_key_file
    if not path.exists():
        if not create:
            return None
        write_private(path, Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def encrypt(value: str, home: Home) -> str:
    """`enc:<token>` for `value`, with the home's `secret.key` (created 0600 on first use)."""
    fernet = _fernet(home, create=True)
    assert fernet is not None
    plain = value.reveal() if isinstance(value, Secret) else value
    return ENCRYPTED_PREFIX + fernet.encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(value: str, home: Home) -> Secret:
    """The plain value of an `enc:` string; `ValueError` with the reason when it cannot be decrypted."""
    fernet = _fernet(home, create=False)
    if fernet is None:
        raise ValueError(f"{home.secret_key_file.name} is missing, so encrypted values cannot be read")
    try:
        return Secret(fernet.decrypt(value.removeprefix(ENCRYPTED_PREFIX).encode("ascii")).decode("utf-8"))
    except (InvalidToken, UnicodeError) as exc:
        raise ValueError("it was not encrypted with this home's secret.key (copied from another host?)") from exc


# --- walking a connection mapping ---------------------------------------------------------------------------

FieldPath = tuple[str | int, ...]


def _leaves(node: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    if isinstance(node, Mapping):
        for key, item in node.items():
            yield from _leaves(item, (*path, str(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _leaves(item, (*path, index))
    else:
        yield path, node


def _dotted(path: FieldPath) -> str:
    return ".".join(str(part) for part in path)


def _field_name(path: FieldPath) -> str:
    names = [part for part in path if isinstance(part, str)]
    return names[-1] if names else ""


def _replace(node: Any, path: FieldPath, value: Any) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _fix(connector: str, path: FieldPath) -> str:
    return (
        f"store it with `ecmahost connector set-secret {connector} {_dotted(path)}` (encrypted at rest) "
        "or reference `${env:VAR}`"
    )


def plaintext_problem(path: FieldPath, value: Any) -> str | None:
    """Why a value must not be stored as written, or None when it may."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    text = str(value) if not isinstance(value, str) else value
    if text.startswith(ENCRYPTED_PREFIX) or text == REDACTED:
        return None
    if looks_secret(_field_name(path)) and not ENV_REFERENCE.search(text):
        return "a secret written in plain text"
    password = url_password(text)
    if password and not ENV_REFERENCE.search(password):
        return "a password written in plain text inside a URL"
    return None


def resolve_secrets(
    raw: Mapping[str, Any],
    home: Home,
    *,
    file: str,
    connector: str,
    prefix: str = "connection",
    allow_plaintext: bool = False,
    require_env: bool = True,
) -> dict[str, Any]:
    """A copy of `raw` (the `connection` mapping) with `${env:..}` and `enc:` values resolved to `Secret`s,
    and plain secrets refused (unless `allow_plaintext`, used to validate an import before encrypting it).
    Every problem found is reported at once in a `ConfigFileError`."""
    resolved: dict[str, Any] = _copy(raw)
    issues: list[Issue] = []
    for path, value in _leaves(raw):
        where = f"{prefix}.{_dotted(path)}" if prefix else _dotted(path)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            continue
        problem = plaintext_problem(path, value)
        if value == REDACTED:
            issues.append(Issue(where, "the value was redacted by an export", fix=_fix(connector, path)))
        elif problem and not allow_plaintext:
            issues.append(Issue(where, problem, fix=_fix(connector, path)))
        elif isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX):
            try:
                _replace(resolved, path, decrypt(value, home))
            except ValueError as exc:
                issues.append(Issue(where, f"cannot decrypt: {exc}", fix=_fix(connector, path)))
        elif isinstance(value, str) and ENV_REFERENCE.search(value):
            missing = [name for name in ENV_REFERENCE.findall(value) if name not in os.environ]
            if missing and require_env:
                names = ", ".join(missing)
                issues.append(
                    Issue(where, f"environment variable {names} is not set", fix=f"set {names} before starting")
                )
            elif not missing:
                _replace(resolved, path, Secret(ENV_REFERENCE.sub(lambda m: os.environ[m.group(1)], value)))
        elif looks_secret(_field_name(path)) and isinstance(value, str) and value:
            _replace(resolved, path, Secret(value))
    if issues:
        raise ConfigFileError(file, issues)
    return resolved


def _copy(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(key): _copy(item) for key, item in node.items()}
    if isinstance(node, list):
        return [_copy(item) for item in node]
    return node


# --- rewriting a file's connection in place (comments kept) -------------------------------------------------


def _rewrite(raw: CommentedMap | CommentedSeq, change: Callable[[FieldPath, Any], Any]) -> list[str]:
    changed: list[str] = []
    for path, value in list(_leaves(raw)):
        new = change(path, value)
        if new is not value:
            _replace(raw, path, new)
            changed.append(_dotted(path))
    return changed


def encrypt_plaintext(raw: CommentedMap, home: Home) -> list[str]:
    """Encrypt, in place, every value `resolve_secrets` would refuse as plain text (an import does this). A
    URL with a password is encrypted whole. Returns the field paths encrypted."""
    return _rewrite(raw, lambda path, value: encrypt(str(value), home) if plaintext_problem(path, value) else value)


def redact_for_export(raw: CommentedMap, home: Home, *, include_secrets: bool) -> list[str]:
    """Rewrite, in place, every `enc:` value: `<redacted>`, or its decrypted plain value when
    `include_secrets`. `${env:..}` references stay. Returns the field paths changed."""

    def change(path: FieldPath, value: Any) -> Any:
        if not (isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)):
            return value
        return decrypt(value, home).reveal() if include_secrets else REDACTED

    return _rewrite(raw, change)


def mask_for_display(raw: CommentedMap) -> list[str]:
    """Rewrite, in place, every encrypted or plain secret value as `********` (references stay)."""
    return _rewrite(
        raw,
        lambda path, value: (
            MASK
            if (isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)) or plaintext_problem(path, value)
            else value
        ),
    )
