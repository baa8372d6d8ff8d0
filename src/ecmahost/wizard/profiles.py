"""What the wizard asks per connector type: the Connectivity fields and the target keys of an object type.

A `TypeProfile` lists `Question`s (name, label, kind, choices, help), turns the answers into the `connection`
block (`apply_connectivity`) and back (`connectivity_answers`), and names an object type's place in the target
from a discovered object class (`target_for`). SQL builds a SQLAlchemy URL from dialect, host, port, database
and user (never with the password in it); LDAP asks host, port, security, bind DN and the server's certificate,
and per object type the base DN, DN template, auxiliary classes, values for new entries and the member attribute.
`update_target` applies answers to an edited object type, keeping the keys the questions do not own.

Both front ends render the same questions: the web UI as form fields, the CLI as prompts and flags. This module
does not validate the result (the connector type's models do, through `wizard.steps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ecmahost.home import Home
from ecmahost.wizard.draft import ConnectorDraft


@dataclass(frozen=True, slots=True)
class Question:
    name: str
    label: str
    kind: str = "text"
    """text, number, select, password"""
    choices: tuple[str, ...] = ()
    help: str = ""
    default: str = ""
    groups_only: bool = False


class AnswerError(ValueError):
    """An answer that cannot be used; the message names the answer and the allowed values."""


@dataclass(frozen=True, slots=True)
class TypeProfile:
    type_name: str
    label: str
    connectivity: tuple[Question, ...]
    object_type_questions: tuple[Question, ...] = ()
    container_word: str = "table or view"
    secret_fields: tuple[str, ...] = field(default=("password",))
    connection_keys: tuple[str, ...] = ()
    """the `connection` keys the questions own; any other key of an edited file (timeouts...) is kept"""
    target_keys: tuple[str, ...] = ()
    """the object type keys the questions own; any other key of an edited file is kept"""

    def connectivity_answers(self, connection: Mapping[str, Any]) -> dict[str, str]:
        return _ANSWERS[self.type_name](connection)

    def apply_connectivity(self, draft: ConnectorDraft, answers: Mapping[str, str], home: Home) -> None:
        """Write the answers into `draft.connection`; an empty password keeps the stored one."""
        connection = _CONNECTIONS[self.type_name](answers)
        kept = {key: value for key, value in draft.connection.items() if key not in self.connection_keys}
        draft.connection = {**connection, **kept}
        for key in self.secret_fields:
            if answers.get(key):
                draft.set_secret(key, answers[key], home)
            if answers.get(f"{key}_env"):
                draft.set_env_secret(key, answers[f"{key}_env"])

    def target_for(self, container: str, answers: Mapping[str, str]) -> dict[str, Any]:
        """An object type's place in the target from the container and the object type questions' answers."""
        return _TARGETS[self.type_name](container, answers)

    def update_target(self, current: Mapping[str, Any], container: str, answers: Mapping[str, str]) -> dict[str, Any]:
        """`current` with the given answers applied (answers not given keep their current value; keys the
        questions do not own are kept). A DN template that still ends with the old base DN follows a new one."""
        previous = target_answers(current)
        merged = {**previous, **answers}
        old_base, new_base = previous.get("base_dn", ""), merged.get("base_dn", "")
        if "rdn" in answers and "dn_template" not in answers:
            merged.pop("dn_template", None)  # `rdn=uid` (a CLI shortcut) names the template's first RDN
        elif "dn_template" not in answers or answers.get("dn_template") == previous.get("dn_template"):
            merged["dn_template"] = rebase_dn(merged.get("dn_template", ""), old_base, new_base)
        target = self.target_for(container, merged)
        return {**target, **{key: value for key, value in current.items() if key not in self.target_keys}}


SQL_DIALECTS = {
    "postgresql": ("PostgreSQL", 5432),
    "mysql": ("MariaDB / MySQL", 3306),
    "mssql+pyodbc": ("SQL Server (ODBC)", 1433),
    "sqlite": ("SQLite file", 0),
}

SQL = TypeProfile(
    type_name="sql",
    label="SQL database (PostgreSQL, MariaDB/MySQL, SQL Server, SQLite)",
    connectivity=(
        Question("dialect", "Database", "select", tuple(SQL_DIALECTS), default="postgresql"),
        Question("host", "Server host", help="name or address of the database server", default="127.0.0.1"),
        Question("port", "Port", "number", help="empty: the database's default port"),
        Question("database", "Database name", help="for SQLite: the file path, relative to the home folder"),
        Question("username", "User name"),
        Question("password", "Password", "password", help="stored encrypted; leave empty to keep the stored one"),
    ),
    object_type_questions=(
        Question("members_table", "Members table", help="a link table of (group, member) rows", groups_only=True),
        Question("group_key", "Members table: column of the group's anchor", groups_only=True),
        Question("member_key", "Members table: column of the member's anchor", groups_only=True),
    ),
    connection_keys=("url",),
    target_keys=("table", "members"),
)

LDAP_MEMBER_ATTRIBUTES = ("member", "uniqueMember", "memberUid")

LDAP = TypeProfile(
    type_name="ldap",
    label="LDAP directory (OpenLDAP, 389 DS, AD LDS)",
    container_word="object class",
    connectivity=(
        Question("host", "Host", help="name or address of the directory server", default="127.0.0.1"),
        Question("port", "Port", "number", help="empty: 389, or 636 for LDAPS"),
        Question("security", "Security", "select", ("none", "starttls", "ldaps"), default="starttls"),
        Question("bind_dn", "Bind DN (user name)", help="e.g. cn=admin,dc=example,dc=org; empty: anonymous"),
        Question("password", "Password", "password", help="stored encrypted; leave empty to keep the stored one"),
        Question("ca_file", "CA certificate file", help="PEM file of the CA, relative to the home folder"),
        Question(
            "trust_certificate",
            "Server certificate (PEM) or sha256: fingerprint",
            "textarea",
            help="for a self-signed server: its certificate, or pin it with sha256:AB:CD:...",
        ),
    ),
    object_type_questions=(
        Question("base_dn", "Base DN", help="where these entries live, e.g. ou=People,dc=example,dc=org"),
        Question(
            "dn_template",
            "DN template",
            help="the DN of a new entry, each {attribute} filled from it: uid={uid},ou=People,dc=example,dc=org",
        ),
        Question(
            "auxiliary_classes",
            "Auxiliary object classes",
            help="comma-separated, e.g. posixAccount; their attributes are offered on Select Attributes",
        ),
        Question(
            "create_defaults",
            "Values for new entries",
            help="ATTRIBUTE=TEMPLATE pairs separated by ';', written when a new entry has none: cn={givenName} {sn}",
        ),
        Question("member_attribute", "Member attribute", "select", LDAP_MEMBER_ATTRIBUTES, groups_only=True),
        Question(
            "empty_member_dn",
            "Placeholder member while empty",
            help="groupOfNames and groupOfUniqueNames need one member, e.g. cn=nobody,dc=example,dc=org",
            groups_only=True,
        ),
    ),
    connection_keys=("host", "port", "security", "bind_dn", "ca_file", "trust_certificate"),
    target_keys=(
        "object_classes",
        "base_dn",
        "dn_template",
        "create_defaults",
        "member_attribute",
        "member_reference",
        "empty_member_dn",
    ),
)

PROFILES = {profile.type_name: profile for profile in (SQL, LDAP)}


def profile_for(type_name: str) -> TypeProfile:
    try:
        return PROFILES[type_name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"the wizard does not know connector type {type_name!r}; it knows: {known}") from None


# --- SQL ----------------------------------------------------------------------------------------------------


def build_sql_url(dialect: str, host: str, port: str, database: str, username: str) -> str:
    """A SQLAlchemy URL without a password: `postgresql://app@db:5432/hr`, `sqlite:///demo.db`."""
    if dialect == "sqlite":
        return f"sqlite:///{database}"
    url = URL.create(
        dialect,
        username=username or None,
        host=host or None,
        port=int(port) if port.strip() else None,
        database=database or None,
    )
    return url.render_as_string(hide_password=False)


def _sql_connection(answers: Mapping[str, str]) -> dict[str, Any]:
    if answers.get("url"):
        return {"url": answers["url"].strip()}
    fields = ("dialect", "host", "port", "database", "username")
    dialect, host, port, database, username = (str(answers.get(key, "") or "").strip() for key in fields)
    return {"url": build_sql_url(dialect or "postgresql", host, port, database, username)}


def _sql_answers(connection: Mapping[str, Any]) -> dict[str, str]:
    raw = str(connection.get("url") or "")
    if not raw:
        return {"dialect": "postgresql", "host": "127.0.0.1"}
    try:
        url = make_url(raw)
    except ArgumentError:
        return {"url": raw}
    if url.get_backend_name() == "sqlite":
        return {"dialect": "sqlite", "database": url.database or ""}
    dialect = url.drivername if url.drivername in SQL_DIALECTS else url.get_backend_name()
    return {
        "dialect": dialect,
        "host": url.host or "",
        "port": str(url.port or ""),
        "database": url.database or "",
        "username": url.username or "",
    }


def _sql_target(container: str, answers: Mapping[str, str]) -> dict[str, Any]:
    target: dict[str, Any] = {"table": container}
    members = [str(answers.get(key, "") or "").strip() for key in ("members_table", "group_key", "member_key")]
    if members[0]:
        target["members"] = {"table": members[0], "group_key": members[1], "member_key": members[2]}
    return target


def target_answers(target: Mapping[str, Any]) -> dict[str, str]:
    """The object type questions' answers found in an existing target block (to edit it)."""
    members = target.get("members")
    answers: dict[str, str] = {}
    if isinstance(members, Mapping):
        answers = {"members_table": str(members.get("table", ""))}
        answers |= {key: str(members.get(key, "")) for key in ("group_key", "member_key")}
    for key in ("base_dn", "dn_template", "member_attribute", "empty_member_dn"):
        if target.get(key):
            answers[key] = str(target[key])
    classes = [str(name) for name in target.get("object_classes") or []]
    if classes:
        answers["auxiliary_classes"] = ", ".join(classes[1:])
    defaults = target.get("create_defaults")
    if isinstance(defaults, Mapping) and defaults:
        answers["create_defaults"] = "; ".join(f"{key}={value}" for key, value in defaults.items())
    return answers


def rebase_dn(dn: str, old_base: str, new_base: str) -> str:
    """`uid={uid},ou=People,dc=a` with base `ou=People,dc=a` moved to `new_base`; other DNs unchanged."""
    if not (dn and old_base and new_base) or old_base == new_base:
        return dn
    if dn.lower().endswith("," + old_base.lower()):
        return dn[: -len(old_base)] + new_base
    return dn


def parse_create_defaults(text: str) -> dict[str, str]:
    """`cn={givenName} {sn}; description=Managed` -> {"cn": "{givenName} {sn}", "description": "Managed"}."""
    defaults: dict[str, str] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        attribute, sep, template = item.partition("=")
        if not sep or not attribute.strip() or not template.strip():
            raise AnswerError(f"values for new entries {item.strip()!r}: write ATTRIBUTE=TEMPLATE, e.g. cn={{uid}}")
        defaults[attribute.strip()] = template.strip()
    return defaults


def container_of(target: Mapping[str, Any]) -> str:
    """The table or (structural) object class named in a target block."""
    if target.get("table"):
        return str(target["table"])
    classes = target.get("object_classes") or []
    return str(classes[0]) if classes else ""


# --- LDAP ---------------------------------------------------------------------------------------------------


def _ldap_connection(answers: Mapping[str, str]) -> dict[str, Any]:
    connection: dict[str, Any] = {"host": str(answers.get("host", "")).strip()}
    port = str(answers.get("port", "") or "").strip()
    if port:
        connection["port"] = int(port) if port.isdigit() else port
    for key in ("security", "bind_dn", "ca_file", "trust_certificate"):
        value = str(answers.get(key, "") or "").strip()
        if value and not (key == "security" and value == "none"):
            connection[key] = value
    return connection


def _ldap_answers(connection: Mapping[str, Any]) -> dict[str, str]:
    keys = ("host", "port", "security", "bind_dn", "ca_file", "trust_certificate")
    answers = {key: str(connection.get(key) or "") for key in keys}
    answers["security"] = answers["security"] or "none"
    return answers


def _ldap_target(container: str, answers: Mapping[str, str]) -> dict[str, Any]:
    def text(key: str) -> str:
        return str(answers.get(key, "") or "").strip()

    base_dn = text("base_dn")
    auxiliaries = [name.strip() for name in text("auxiliary_classes").split(",") if name.strip()]
    classes = [container, *(name for name in dict.fromkeys(auxiliaries) if name.lower() != container.lower())]
    target: dict[str, Any] = {"object_classes": classes, "base_dn": base_dn}
    rdn = text("rdn")
    template = text("dn_template") or (f"{rdn}={{{rdn}}},{base_dn}" if rdn and base_dn else "")
    if template:
        target["dn_template"] = template
    defaults = parse_create_defaults(text("create_defaults"))
    if defaults:
        target["create_defaults"] = defaults
    member = text("member_attribute")
    if member:
        target["member_attribute"] = member
        if member.lower() == "memberuid":
            target["member_reference"] = "uid"  # memberUid holds the member's uid, not its DN
        elif text("empty_member_dn"):
            target["empty_member_dn"] = text("empty_member_dn")
    return target


_CONNECTIONS = {"sql": _sql_connection, "ldap": _ldap_connection}
_ANSWERS = {"sql": _sql_answers, "ldap": _ldap_answers}
_TARGETS = {"sql": _sql_target, "ldap": _ldap_target}
