from __future__ import annotations

import logging
import re
import stat

import pytest
from pydantic import BaseModel

from ecmahost.config import secrets
from ecmahost.config.errors import ConfigFileError
from ecmahost.config.secrets import MASK, Secret, looks_secret, resolve_secrets, url_password
from ecmahost.config.yaml_io import parse_mapping
from ecmahost.home import Home


def resolve(raw: dict, home: Home, **flags: bool) -> dict:
    return resolve_secrets(raw, home, file="connectors/demo.yaml", connector="demo", **flags)


def test_secret_is_masked_everywhere_it_could_be_printed(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret("hunter2")
    assert str(secret) == MASK
    assert repr(secret) == f"Secret('{MASK}')"
    assert f"{secret}" == MASK
    assert "%s" % secret == MASK  # noqa: UP031 - %-formatting is what logging does
    logging.getLogger("test").warning("value %s", secret)
    assert "hunter2" not in caplog.text
    assert secret.reveal() == "hunter2"
    assert secret == "hunter2"


def test_secret_field_stays_masked_in_a_pydantic_model() -> None:
    class Model(BaseModel):
        password: Secret

    model = Model(password="hunter2")  # type: ignore[arg-type]
    assert isinstance(model.password, Secret)
    assert "hunter2" not in repr(model)
    assert model.model_dump_json() == '{"password":"********"}'


@pytest.mark.parametrize(
    ("field", "secret"),
    [
        ("password", True),
        ("bind_password", True),
        ("clientSecret", True),
        ("client_secret", True),
        ("api_key", True),
        ("token", True),
        ("pwd", True),
        ("token_url", False),
        ("password_file", False),
        ("url", False),
        ("user", False),
    ],
)
def test_field_names_that_look_secret(field: str, secret: bool) -> None:
    assert looks_secret(field) is secret


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgresql://app:s3cret@db/hr", "s3cret"),
        ("postgresql://app@db/hr", None),
        ("ldaps://host?bind_password=x", "x"),
        ("sqlite:///demo.db", None),
        ("not a url", None),
    ],
)
def test_password_inside_a_url_is_found(url: str, password: str | None) -> None:
    assert url_password(url) == password


def test_env_reference_is_resolved(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "from-env")
    resolved = resolve({"password": "${env:DB_PASSWORD}", "url": "pg://app:${env:DB_PASSWORD}@db"}, home)
    assert isinstance(resolved["password"], Secret)
    assert resolved["password"].reveal() == "from-env"
    assert resolved["url"].reveal() == "pg://app:from-env@db"


def test_missing_env_variable_is_an_error_naming_it(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_PASSWORD", raising=False)
    with pytest.raises(ConfigFileError) as caught:
        resolve({"password": "${env:NOPE_PASSWORD}"}, home)
    assert str(caught.value) == (
        "connectors/demo.yaml: connection.password: environment variable NOPE_PASSWORD is not set; "
        "set NOPE_PASSWORD before starting"
    )


def test_missing_env_variable_is_kept_when_not_required(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_PASSWORD", raising=False)
    assert resolve({"password": "${env:NOPE_PASSWORD}"}, home, require_env=False) == {
        "password": "${env:NOPE_PASSWORD}"
    }


def test_encrypted_value_round_trips_and_key_is_private(home: Home) -> None:
    stored = secrets.encrypt("hunter2", home)
    assert stored.startswith("enc:")
    assert "hunter2" not in stored
    assert stat.S_IMODE(home.secret_key_file.stat().st_mode) == 0o600
    assert resolve({"nested": {"password": stored}}, home)["nested"]["password"].reveal() == "hunter2"


def test_value_encrypted_by_another_home_is_an_error(home: Home, tmp_path) -> None:
    stored = secrets.encrypt("hunter2", Home(tmp_path / "other"))
    home.ensure()
    secrets.encrypt("x", home)
    with pytest.raises(ConfigFileError, match=re.escape("cannot decrypt: it was not encrypted with this home's")):
        resolve({"password": stored}, home)


def test_encrypted_value_without_key_file_is_an_error(home: Home, tmp_path) -> None:
    stored = secrets.encrypt("hunter2", Home(tmp_path / "other"))
    with pytest.raises(ConfigFileError, match=re.escape("secret.key is missing")):
        resolve({"password": stored}, home)


def test_plain_secret_is_refused_with_the_fix(home: Home) -> None:
    with pytest.raises(ConfigFileError) as caught:
        resolve({"password": "hunter2"}, home)
    assert str(caught.value) == (
        "connectors/demo.yaml: connection.password: a secret written in plain text; store it with "
        "`ecmahost connector set-secret demo password` (encrypted at rest) or reference `${env:VAR}`"
    )
    assert "hunter2" not in str(caught.value)


def test_plain_password_in_url_is_refused(home: Home) -> None:
    with pytest.raises(ConfigFileError, match="a password written in plain text inside a URL"):
        resolve({"url": "postgresql://app:hunter2@db/hr"}, home)


def test_every_plain_secret_is_reported_at_once(home: Home) -> None:
    with pytest.raises(ConfigFileError) as caught:
        resolve({"password": "a", "api_key": 12345, "url": "ldap://u:p@h"}, home)
    assert [issue.path for issue in caught.value.issues] == [
        "connection.password",
        "connection.api_key",
        "connection.url",
    ]


def test_plain_secret_accepted_when_allowed_but_still_masked(home: Home) -> None:
    resolved = resolve({"password": "hunter2"}, home, allow_plaintext=True)
    assert isinstance(resolved["password"], Secret)


def test_empty_and_non_secret_values_pass_unchanged(home: Home) -> None:
    raw = {"password": "", "url": "sqlite:///demo.db", "timeout": 5, "flags": [True, None]}
    assert resolve(raw, home) == raw


def test_export_redacts_encrypted_values_and_keeps_references(home: Home) -> None:
    raw = parse_mapping(f"password: {secrets.encrypt('hunter2', home)}\nurl: pg://a:${{env:PW}}@h\n", file="x")
    assert secrets.redact_for_export(raw, home, include_secrets=False) == ["password"]
    assert raw == {"password": "<redacted>", "url": "pg://a:${env:PW}@h"}


def test_export_with_secrets_writes_the_plain_value(home: Home) -> None:
    raw = parse_mapping(f"password: {secrets.encrypt('hunter2', home)}\n", file="x")
    secrets.redact_for_export(raw, home, include_secrets=True)
    assert raw == {"password": "hunter2"}


def test_redacted_value_is_refused_with_a_fix(home: Home) -> None:
    with pytest.raises(ConfigFileError, match="redacted by an export; store it with"):
        resolve({"password": "<redacted>"}, home, allow_plaintext=True)


def test_encrypt_plaintext_encrypts_secret_fields_and_urls_with_passwords(home: Home) -> None:
    raw = parse_mapping("password: a  # keep\nurl: ldap://u:p@h\nuser: bob\n", file="x")
    assert secrets.encrypt_plaintext(raw, home) == ["password", "url"]
    assert raw["user"] == "bob"
    assert resolve(raw, home)["url"].reveal() == "ldap://u:p@h"


def test_display_masks_encrypted_and_plain_secrets(home: Home) -> None:
    raw = parse_mapping(f"password: {secrets.encrypt('x', home)}\napi_key: 42\nuser: ${{env:U}}\n", file="x")
    secrets.mask_for_display(raw)
    assert raw == {"password": MASK, "api_key": MASK, "user": "${env:U}"}
