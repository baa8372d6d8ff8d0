from __future__ import annotations

import re
import stat

import pytest

from ecmahost.config.errors import (
    ConfigFileError,
    ConfigFileErrors,
    ConnectorExists,
    ConnectorNotFound,
    InvalidConnectorName,
)
from ecmahost.config.model import DeprovisionKind
from ecmahost.config.secrets import Secret
from ecmahost.config.store import ConnectorStore
from ecmahost.config.tokens import verify_token
from ecmahost.home import Home


@pytest.fixture
def store(home: Home) -> ConnectorStore:
    return ConnectorStore(home)


@pytest.fixture
def demo(store: ConnectorStore, demo_text: str) -> ConnectorStore:
    store.import_(demo_text)
    return store


def write(home: Home, name: str, text: str) -> None:
    home.ensure(home.connectors_dir)
    ConnectorStore(home).path(name).write_text(text)


def test_import_then_load_gives_the_flat_file_as_nested_models(demo: ConnectorStore) -> None:
    config = demo.load("demo")
    user = config.object_types["User"]
    assert user.target.table == "Employees"
    assert user.anchor.attribute == "ContosoLogin"
    assert list(user.attributes) == ["ContosoLogin", "Email", "Active"]
    assert user.deprovisioning.disable.kind is DeprovisionKind.SET
    assert config.connection.url == "sqlite:///demo.db"


def test_import_keeps_comments_and_writes_privately(demo: ConnectorStore, home: Home, demo_text: str) -> None:
    assert ConnectorStore(home).path("demo").read_text() == demo_text
    assert stat.S_IMODE(ConnectorStore(home).path("demo").stat().st_mode) == 0o600


def test_list_is_sorted_and_case_sensitive(store: ConnectorStore, demo_text: str, home: Home) -> None:
    for name in ("beta", "Alpha", "alpha"):
        store.import_(demo_text, name=name)
    (home.connectors_dir / "notes.txt").write_text("ignored")
    (home.connectors_dir / "bad name.yaml").write_text("ignored")
    assert store.list() == ["Alpha", "alpha", "beta"]


def test_unknown_connector_lists_the_known_ones(demo: ConnectorStore) -> None:
    with pytest.raises(
        ConnectorNotFound,
        match=r"no connector named 'Demo' \(names are case-sensitive\); "
        r"connectors: demo",
    ):
        demo.load("Demo")


def test_path_traversal_name_is_refused(store: ConnectorStore) -> None:
    with pytest.raises(InvalidConnectorName):
        store.load("../../etc/passwd")


def test_anchor_must_be_a_selected_attribute(store: ConnectorStore, home: Home, demo_text: str) -> None:
    write(home, "demo", demo_text.replace("anchor: ContosoLogin", "anchor: Login"))
    with pytest.raises(ConfigFileError) as caught:
        store.load("demo")
    assert str(caught.value) == (
        "connectors/demo.yaml: object_types.User.anchor: 'Login' is not a selected attribute; add it under "
        "attributes or pick one of: ContosoLogin, Email, Active (line 10)"
    )


def test_deprovisioning_set_must_name_a_boolean_selected_attribute(
    store: ConnectorStore, home: Home, demo_text: str
) -> None:
    write(home, "demo", demo_text.replace("{set: {Active: false}}", "{set: {Email: false}}"))
    with pytest.raises(ConfigFileError, match=re.escape("deprovisioning.disable.set.Email: 'Email' is not a boolean")):
        store.load("demo")


def test_every_problem_of_a_file_is_reported_with_its_path(store: ConnectorStore, home: Home, demo_text: str) -> None:
    text = demo_text.replace("type: boolean", "type: bool").replace("table: Employees", "tabel: Employees")
    write(home, "demo", text.replace("url: sqlite:///demo.db", "url: pg://u:pw@h/db"))
    with pytest.raises(ConfigFileError) as caught:
        store.load("demo")
    assert [(issue.path, issue.line) for issue in caught.value.issues] == [
        ("object_types.User.attributes.Active.type", 14),
        ("connection.url", 6),
        ("object_types.User.table", 8),
        ("object_types.User.tabel", 9),
    ]
    message = str(caught.value)
    assert (
        "object_types.User.tabel: unknown key; remove it or correct its spelling; allowed keys: table, anchor"
        in message
    )
    assert "pw" not in message.replace("pw@", "")


def test_name_must_match_the_file_name(store: ConnectorStore, home: Home, demo_text: str) -> None:
    write(home, "other", demo_text)
    with pytest.raises(
        ConfigFileError,
        match=r"connectors/other.yaml: name: 'demo' does not match the file name "
        r"other.yaml; set `name: other` or rename the file to demo.yaml",
    ):
        store.load("other")


def test_unknown_connector_type_lists_installed_types(store: ConnectorStore, home: Home, demo_text: str) -> None:
    write(home, "demo", demo_text.replace("type: fake", "type: ldapx"))
    with pytest.raises(ConfigFileError, match="type: unknown connector type 'ldapx'; installed types: fake"):
        store.load("demo")


def test_load_all_collects_every_file_error(store: ConnectorStore, home: Home, demo_text: str) -> None:
    store.import_(demo_text)
    write(home, "broken1", "name: broken1\n")
    write(home, "broken2", "name: [\n")
    with pytest.raises(ConfigFileErrors) as caught:
        store.load_all()
    assert sorted(caught.value.errors) == ["broken1", "broken2"]
    assert list(caught.value.loaded) == ["demo"]
    assert "connectors/broken1.yaml: type: Field required" in str(caught.value)
    assert "connectors/broken2.yaml:" in str(caught.value)


def test_invalid_import_changes_nothing(store: ConnectorStore, home: Home, demo_text: str) -> None:
    with pytest.raises(ConfigFileError, match=r"^<import>: object_types\.User\.anchor"):
        store.import_(demo_text.replace("anchor: ContosoLogin", "anchor: Login"))
    assert store.list() == []
    assert not home.secret_key_file.exists()


def test_import_refuses_to_overwrite_unless_replace(demo: ConnectorStore, demo_text: str) -> None:
    with pytest.raises(ConnectorExists, match="pass --replace"):
        demo.import_(demo_text.replace("Demo employees", "changed"))
    assert demo.load("demo").description == "Demo employees"
    demo.import_(demo_text.replace("Demo employees", "changed"), replace=True)
    assert demo.load("demo").description == "changed"


def test_import_encrypts_plain_secrets(store: ConnectorStore, home: Home, demo_text: str) -> None:
    store.import_(demo_text.replace("url: sqlite:///demo.db", "url: sqlite:///demo.db\n  password: hunter2"))
    text = ConnectorStore(home).path("demo").read_text()
    assert "hunter2" not in text
    assert "password: enc:" in text
    assert store.load("demo").connection.password.reveal() == "hunter2"


def test_export_redacts_secrets_and_leaves_out_the_token(demo: ConnectorStore) -> None:
    demo.set_secret("demo", "password", "hunter2")
    demo.set_token("demo", "a-token-of-12+")
    text = demo.export("demo")
    assert "password: <redacted>" in text
    assert "hunter2" not in text
    assert "enc:" not in text
    assert "\ntoken:" not in text
    assert text.startswith("# Exported by ecmahost")


def test_export_with_secrets_imports_elsewhere_and_keeps_working(demo: ConnectorStore, tmp_path) -> None:
    demo.set_secret("demo", "password", "hunter2")
    demo.set_token("demo", "a-token-of-12+")
    text = demo.export("demo", include_secrets=True)
    assert "password: hunter2" in text
    assert "enc:" not in text
    other = ConnectorStore(Home(tmp_path / "other-host"))
    config = other.import_(text)
    assert config.connection.password.reveal() == "hunter2"
    assert verify_token("a-token-of-12+", config.token.hash)


def test_importing_a_redacted_export_says_how_to_fix_it(demo: ConnectorStore, tmp_path) -> None:
    demo.set_secret("demo", "password", "hunter2")
    with pytest.raises(ConfigFileError, match=re.escape("connection.password: the value was redacted by an export")):
        ConnectorStore(Home(tmp_path / "other")).import_(demo.export("demo"))


def test_set_token_stores_only_a_hash_and_keeps_comments(demo: ConnectorStore, home: Home) -> None:
    demo.set_token("demo", "a-token-of-12+")
    text = ConnectorStore(home).path("demo").read_text()
    assert "a-token-of-12+" not in text
    assert text.startswith("# the demo connector\nname: demo\ntype: fake\ndescription: Demo employees\ntoken:")
    assert "# local file" in text
    assert verify_token("a-token-of-12+", demo.load("demo").token.hash)


def test_set_secret_encrypts_into_connection_and_keeps_comments(demo: ConnectorStore, home: Home) -> None:
    demo.set_secret("demo", "connection.password", "hunter2")
    text = ConnectorStore(home).path("demo").read_text()
    assert "url: sqlite:///demo.db  # local file\n  password: enc:" in text
    password = demo.load("demo").connection.password
    assert isinstance(password, Secret)
    assert password.reveal() == "hunter2"


def test_set_secret_on_an_unknown_field_writes_nothing(demo: ConnectorStore, home: Home) -> None:
    before = ConnectorStore(home).path("demo").read_text()
    with pytest.raises(ConfigFileError, match=re.escape("connection.pasword: unknown key")):
        demo.set_secret("demo", "pasword", "hunter2")
    assert ConnectorStore(home).path("demo").read_text() == before


def test_save_of_a_config_keeps_comments_and_env_references(
    store: ConnectorStore, home: Home, demo_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_PW", "from-env")
    store.import_(demo_text.replace("url: sqlite:///demo.db", "url: sqlite:///demo.db\n  password: ${env:DEMO_PW}"))
    config = store.load("demo")
    store.save(config.model_copy(update={"description": "renamed"}))
    text = ConnectorStore(home).path("demo").read_text()
    assert "description: renamed" in text
    assert "password: ${env:DEMO_PW}" in text
    assert "# the demo connector" in text
    assert "# local file" in text
    assert store.load("demo") == config.model_copy(update={"description": "renamed"})


def test_save_of_a_new_config_encrypts_its_secrets(demo: ConnectorStore, home: Home) -> None:
    config = demo.load("demo")
    connection = config.connection.model_copy(update={"password": Secret("hunter2")})
    demo.save(config.model_copy(update={"name": "copy", "connection": connection}))
    text = ConnectorStore(home).path("copy").read_text()
    assert "hunter2" not in text
    assert "password: enc:" in text
    copy = demo.load("copy")
    assert copy.connection.password.reveal() == "hunter2"
    assert copy.object_types == config.object_types


def test_delete_removes_the_file(demo: ConnectorStore) -> None:
    demo.delete("demo")
    assert demo.list() == []
    with pytest.raises(ConnectorNotFound):
        demo.delete("demo")


def test_saving_an_unchanged_config_leaves_the_file_alone(demo: ConnectorStore, home: Home) -> None:
    before = ConnectorStore(home).path("demo").read_text()
    demo.save(demo.load("demo"))
    assert ConnectorStore(home).path("demo").read_text() == before
