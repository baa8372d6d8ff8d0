"""The wizard's profiles of the SQL and LDAP connectors, and `PROFILES`, every type the wizard knows (CSV,
script and REST are in `profile_csv`, `profile_script`, `profile_rest`; the `Question`/`TypeProfile` shapes in
`wizard.questions`).

SQL builds a SQLAlchemy URL from dialect, host, port, database and user (never with the password in it) and asks
per object type the members table and the child tables; LDAP asks host, port, security, bind DN and the server's
certificate, and per object type the base DN, DN template, auxiliary classes, values for new entries and the member
attribute. `container_of`/`place_of` name where an object type's objects live, `member_holder` the attribute that
holds a group's members (never offered as an attribute).

Both front ends render the same questions: the web UI as form fields, the CLI as prompts and flags. This module
does not validate the result (the connector type's models do, through `wizard.steps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ecmahost.wizard.child_tables import EXAMPLE as CHILD_TABLE_EXAMPLE
from ecmahost.wizard.child_tables import parse_child_tables, render_child_tables
from ecmahost.wizard.draft import ObjectTypeDraft
from ecmahost.wizard.questions import AnswerError, Question, TypeProfile, rebase_dn

__all__ = [
    "PROFILES",
    "AnswerError",
    "Question",
    "TypeProfile",
    "container_of",
    "member_holder",
    "place_of",
    "profile_for",
    "rebase_dn",
]


SQL_DIALECTS = {
    "postgresql": ("PostgreSQL", 5432),
    "mysql": ("MariaDB / MySQL", 3306),
    "mssql+pyodbc": ("SQL Server (ODBC)", 1433),
    "sqlite": ("SQLite file", 0),
}

SQL = TypeProfile(
    type_name="sql",
    label="SQL database (PostgreSQL, MariaDB/MySQL, SQL Server, SQLite)",
    build_connection=lambda answers, _current, _home: _sql_connection(answers),
    read_connection=lambda connection: _sql_answers(connection),
    build_target=lambda container, answers: _sql_target(container, answers),
    read_target=lambda target: target_answers(target),
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
        Question(
            "child_tables",
            "Child tables (complex multi-valued attributes)",
            "textarea",
            help=f"one per line, e.g. {CHILD_TABLE_EXAMPLE}; map the attribute (e.g. to phoneNumbers) on Select "
            "Attributes",
        ),
    ),
    connection_keys=("url",),
    target_keys=("table", "members", "child_tables"),
)

LDAP_MEMBER_ATTRIBUTES = ("member", "uniqueMember", "memberUid")

LDAP = TypeProfile(
    type_name="ldap",
    label="LDAP directory (OpenLDAP, 389 DS, AD LDS)",
    build_connection=lambda answers, _current, _home: _ldap_connection(answers),
    read_connection=lambda connection: _ldap_answers(connection),
    build_target=lambda container, answers: _ldap_target(container, answers),
    read_target=lambda target: target_answers(target),
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


def _profiles() -> dict[str, TypeProfile]:
    from ecmahost.wizard.profile_csv import CSV
    from ecmahost.wizard.profile_rest import REST
    from ecmahost.wizard.profile_script import SCRIPT

    return {profile.type_name: profile for profile in (SQL, LDAP, CSV, SCRIPT, REST)}


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
    children = parse_child_tables(str(answers.get("child_tables", "") or ""))
    if children:
        target["child_tables"] = children
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
    children = target.get("child_tables")
    if isinstance(children, Mapping) and children:
        answers["child_tables"] = render_child_tables(children)
    return answers


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
    """The table, (structural) object class, CSV file or REST collection named in a target block."""
    for key in ("table", "file", "collection"):
        if target.get(key):
            return str(target[key])
    classes = target.get("object_classes") or []
    return str(classes[0]) if classes else ""


def member_holder(target: Mapping[str, Any]) -> str:
    """The attribute that holds a group's members, never offered as an attribute: LDAP's member attribute, the
    CSV members column, the top-level field of a REST members pointer (`/members`)."""
    for key in ("member_attribute", "members_column"):
        if target.get(key):
            return str(target[key])
    members = target.get("members")
    return members.strip("/$.").split("/")[0] if isinstance(members, str) else ""


def place_of(object_type: ObjectTypeDraft) -> str:
    """Where an object type's objects live: its target block's container, or (a script's) the wizard's own."""
    return container_of(object_type.target) or object_type.container


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


PROFILES = _profiles()
