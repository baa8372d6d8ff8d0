"""The wizard's questions for the REST connector (`type: rest`): the base URL, the kind of authentication and its
secret (stored encrypted or as `${env:VAR}`), TLS trust and the time budget; per object type a minimal form
(collection, item URL, where the id, the list's array and a group's members are, paging, the fields' JSON
pointers) plus "Advanced: operations" as YAML, validated by the connector's own `Operations` model.

The collections to read for Test and discovery are a wizard-only answer (`collections`), since the connector's
`check()` and `discover()` read only configured collections. This module sends no request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ecmahost.config import secrets, yaml_io
from ecmahost.config.errors import ConfigError
from ecmahost.config.model import AnchorGeneration
from ecmahost.connectors.rest.models import Operations
from ecmahost.home import Home
from ecmahost.wizard.draft import ConnectorDraft
from ecmahost.wizard.questions import AnswerError, Question, TypeProfile, parse_lines, text_of

AUTH_KINDS = ("none", "basic", "bearer", "api_key", "oauth2")
SECRET_KEY = {"basic": "password", "bearer": "token", "api_key": "api_key", "oauth2": "client_secret"}
"""where each kind of authentication keeps its secret"""
AUTH_FIELDS = {"basic": ("username",), "api_key": ("header",), "oauth2": ("token_url", "client_id", "scope")}
PAGING_STYLES = ("none", "page", "offset", "link")


def _auth(answers: Mapping[str, str], current: Mapping[str, Any], home: Home) -> dict[str, Any]:
    kind = text_of(answers, "auth") or "none"
    if kind not in AUTH_KINDS:
        raise AnswerError(f"auth {kind!r}: use one of {', '.join(AUTH_KINDS)}")
    auth: dict[str, Any] = {"type": kind}
    for key in AUTH_FIELDS.get(kind, ()):
        if text_of(answers, key):
            auth[key] = text_of(answers, key)
    if kind in SECRET_KEY:
        key = SECRET_KEY[kind]
        stored = current.get("auth") if isinstance(current.get("auth"), Mapping) else {}
        if text_of(answers, "secret_env"):
            auth[key] = f"${{env:{text_of(answers, 'secret_env')}}}"
        elif text_of(answers, "secret"):
            auth[key] = secrets.encrypt(text_of(answers, "secret"), home)
        elif stored.get("type") == kind and stored.get(key):  # type: ignore[union-attr]
            auth[key] = stored[key]  # type: ignore[index]
    return auth


def _connection(answers: Mapping[str, str], current: Mapping[str, Any], home: Home) -> dict[str, Any]:
    connection: dict[str, Any] = {"base_url": text_of(answers, "base_url"), "auth": _auth(answers, current, home)}
    tls: dict[str, Any] = dict(current.get("tls") or {}) if isinstance(current.get("tls"), Mapping) else {}
    tls["verify"] = text_of(answers, "verify_tls") != "no"
    if text_of(answers, "ca_file"):
        tls["ca_file"] = text_of(answers, "ca_file")
    else:
        tls.pop("ca_file", None)
    if tls != {"verify": True}:
        connection["tls"] = tls
    if text_of(answers, "timeout_seconds"):
        try:
            connection["timeout_seconds"] = float(text_of(answers, "timeout_seconds"))
        except ValueError:
            raise AnswerError(f"timeout {text_of(answers, 'timeout_seconds')!r}: give a number of seconds") from None
    return connection


def _answers(connection: Mapping[str, Any]) -> dict[str, str]:
    auth = connection.get("auth") if isinstance(connection.get("auth"), Mapping) else {}
    tls = connection.get("tls") if isinstance(connection.get("tls"), Mapping) else {}
    found = {
        "base_url": str(connection.get("base_url") or ""),
        "auth": str(auth.get("type") or "none"),  # type: ignore[union-attr]
        "verify_tls": "no" if tls.get("verify") is False else "yes",  # type: ignore[union-attr]
        "ca_file": str(tls.get("ca_file") or ""),  # type: ignore[union-attr]
        "timeout_seconds": str(connection.get("timeout_seconds") or ""),
    }
    for keys in AUTH_FIELDS.values():
        for key in keys:
            found[key] = str(auth.get(key) or "")  # type: ignore[union-attr]
    return found


def parse_operations(text: str) -> dict[str, Any]:
    """The Advanced operations YAML, checked by the REST connector's own model."""
    if not text.strip():
        return {}
    try:
        data = yaml_io.to_plain(yaml_io.parse_mapping(text, file="operations"))
        Operations.model_validate(data)
    except ConfigError as exc:
        raise AnswerError(f"operations: not YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise AnswerError(f"operations: {problems}") from None
    return dict(data)


def _target(container: str, answers: Mapping[str, str]) -> dict[str, Any]:
    target: dict[str, Any] = {"collection": container, "item": text_of(answers, "item") or f"{container}/{{id}}"}
    for key, default in (("id", "/id"), ("items", ""), ("members", "")):
        if text_of(answers, key) and text_of(answers, key) != default:
            target[key] = text_of(answers, key)
    style = text_of(answers, "paging") or "none"
    if style not in PAGING_STYLES:
        raise AnswerError(f"paging {style!r}: use one of {', '.join(PAGING_STYLES)}")
    if style != "none":
        paging: dict[str, Any] = {"style": style}
        for key in ("page_param", "offset_param", "size_param"):
            if text_of(answers, key):
                paging[key] = text_of(answers, key)
        target["paging"] = paging
    fields = parse_lines(str(answers.get("fields", "") or ""), "field")
    if fields:
        target["fields"] = fields
    operations = parse_operations(str(answers.get("operations", "") or ""))
    if operations:
        target["operations"] = operations
    return target


def _target_answers(target: Mapping[str, Any]) -> dict[str, str]:
    found = {key: str(target.get(key) or "") for key in ("item", "id", "items", "members")}
    paging = target.get("paging") if isinstance(target.get("paging"), Mapping) else {}
    found["paging"] = str(paging.get("style") or "none")  # type: ignore[union-attr]
    for key in ("page_param", "offset_param", "size_param"):
        found[key] = str(paging.get(key) or "")  # type: ignore[union-attr]
    found["fields"] = "\n".join(f"{name}={pointer}" for name, pointer in dict(target.get("fields") or {}).items())
    operations = target.get("operations")
    found["operations"] = yaml_io.dump(yaml_io.CommentedMap(operations)) if operations else ""
    return {key: value for key, value in found.items() if value}


def _probe_targets(draft: ConnectorDraft, _home: Home) -> dict[str, dict[str, Any]]:
    """The draft's object types, and the collections named in the wizard-only `collections` answer."""
    targets = {f"probe-{name}": dict(ot.target) for name, ot in draft.object_types.items() if ot.target}
    named = {str(target.get("collection")) for target in targets.values()}
    named_by_hints = f"{draft.hints.get('collections', '')},{draft.hints.get('containers', '')}"
    hinted = list(dict.fromkeys(item.strip() for item in named_by_hints.split(",") if item.strip()))
    for index, collection in enumerate(item for item in hinted if item not in named):
        targets[f"probe-{index}"] = {"collection": collection, "item": f"{collection}/{{id}}"}
    return targets


REST = TypeProfile(
    type_name="rest",
    label="REST API (JSON; configured per operation)",
    container_word="collection",
    connectivity=(
        Question("base_url", "Base URL", help="e.g. https://api.example.com/v1"),
        Question("auth", "Authentication", "select", AUTH_KINDS, default="none"),
        Question("username", "User name (basic)"),
        Question("header", "API key header (api_key)", help="default X-API-Key"),
        Question("token_url", "Token URL (oauth2)"),
        Question("client_id", "Client id (oauth2)"),
        Question("scope", "Scope (oauth2)"),
        Question(
            "secret",
            "Password, token, API key or client secret",
            "password",
            help="stored encrypted; leave empty to keep the stored one",
        ),
        Question("verify_tls", "Verify the API's certificate", "select", ("yes", "no"), default="yes"),
        Question("ca_file", "CA certificate file", help="PEM file of a private CA, relative to the home folder"),
        Question("timeout_seconds", "Time budget of one operation (seconds)", "number", default="30"),
        Question(
            "collections",
            "Collections to read (Test and discovery)",
            help="comma-separated paths, e.g. /users, /groups; not written to the file",
            default="/users, /groups",
            wizard_only=True,
        ),
    ),
    object_type_questions=(
        Question("item", "Item URL", help="{id} is the object's id; default <collection>/{id}"),
        Question("id", "Where the id is", help="JSON pointer or JSONPath in an object; default /id"),
        Question("items", "Where the array is in a list answer", help="empty: the answer is the array; e.g. /data"),
        Question("members", "Where the member ids are", help="e.g. /members", groups_only=True),
        Question("paging", "Paging", "select", PAGING_STYLES, default="none"),
        Question("page_param", "Page number parameter (page)", help="default page"),
        Question("offset_param", "Offset parameter (offset)", help="default offset"),
        Question("size_param", "Page size parameter", help="default limit"),
        Question("fields", "Fields", "textarea", help="ATTRIBUTE=/json/pointer per line; default /<attribute>"),
        Question(
            "operations",
            "Advanced: operations (YAML)",
            "textarea",
            help="overrides, e.g. update: {method: PATCH, url: '/users/{id}'}",
        ),
    ),
    build_connection=_connection,
    read_connection=_answers,
    build_target=_target,
    read_target=_target_answers,
    secret_fields=(),
    connection_keys=("base_url", "auth", "tls", "timeout_seconds"),
    target_keys=("collection", "item", "id", "items", "members", "paging", "fields", "operations"),
    probe_targets=_probe_targets,
    new_containers=True,
    anchor_generation=AnchorGeneration.TARGET,
)
