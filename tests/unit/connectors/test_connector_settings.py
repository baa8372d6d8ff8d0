"""The `Connector` base class hands each connector its typed settings: the loader's validated models as they are,
a hand-built config's plain data validated once; settings that do not fit are a `ConfigurationError` naming the
key. A connector type whose models do not derive from the kit's bases is refused when its file is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from ecmahost.config import connector_types
from ecmahost.config.errors import ConfigFileError
from ecmahost.config.model import ConnectorConfig
from ecmahost.config.validation import validate_connector
from ecmahost.connectors.csv import CsvConnector
from ecmahost.connectors.csv.models import CsvConnection, CsvObjectType
from ecmahost.connectors.errors import ConfigurationError
from ecmahost.connectors.sql import SqlConnector
from ecmahost.home import Home

USER = {"anchor": "Id", "attributes": {"Id": {}, "Login": {"scim": "userName"}}}


def _raw(**connection: str) -> dict:
    return {
        "name": "people",
        "type": "csv",
        "connection": connection,
        "object_types": {"User": {**USER, "file": "u.csv"}},
    }


def test_a_loaded_connector_gets_the_loaders_settings_as_they_are(tmp_path: Path) -> None:
    config = validate_connector(_raw(folder="data"), file="people.yaml", home=Home(tmp_path))
    connector = CsvConnector(config, home=tmp_path)
    assert connector.connection is config.connection
    assert isinstance(connector.connection, CsvConnection)
    assert connector.targets["User"] is config.object_types["User"].target
    assert isinstance(connector.targets["User"], CsvObjectType)


def test_a_hand_built_config_is_validated_once_by_the_base_class(tmp_path: Path) -> None:
    config = ConnectorConfig.model_validate(
        {"name": "people", "type": "csv", "object_types": {"User": {**USER, "target": CsvObjectType(file="u.csv")}}}
    )
    connector = CsvConnector(config, home=tmp_path)
    assert connector.connection == CsvConnection()


def test_settings_that_do_not_fit_name_the_key(tmp_path: Path) -> None:
    config = ConnectorConfig.model_validate({"name": "hr", "type": "sql", "object_types": {"User": USER}})
    with pytest.raises(ConfigurationError, match=r"connector 'hr': connection\.url: Field required"):
        SqlConnector(config, home=tmp_path)


def test_a_type_whose_settings_model_is_not_a_kit_base_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class PlainConnection(BaseModel):
        folder: str = "."

    class OldStyle(CsvConnector):
        connection_model = PlainConnection  # type: ignore[assignment]

    monkeypatch.setattr(connector_types, "installed_types", lambda: {"oldstyle": OldStyle})
    with pytest.raises(ConfigFileError, match=r"connection_model must derive from ecmahost\.kit\.ConnectionSettings"):
        validate_connector({**_raw(), "type": "oldstyle"}, file="people.yaml", home=Home(tmp_path))
