"""`views:` in the connector file: saved only when not the default, kept through an import, and refused with the
file key and the fix when `views: core` would leave something nobody can write."""

from __future__ import annotations

import pytest

from ecmahost.config.errors import ConfigFileError
from ecmahost.config.model import SchemaViews
from ecmahost.config.store import ConnectorStore, to_file_dict
from ecmahost.home import Home


def test_views_defaults_to_both_and_round_trips(home: Home, demo_text: str) -> None:
    store = ConnectorStore(home)
    assert store.import_(demo_text).views is SchemaViews.BOTH
    assert "views" not in to_file_dict(store.load("demo"), lambda s: s)
    store.import_(demo_text.replace("type: fake\n", "type: fake\nviews: core\n"), replace=True)
    assert store.load("demo").views is SchemaViews.CORE
    assert to_file_dict(store.load("demo"), lambda s: s)["views"] == "core"


def test_an_unknown_views_value_lists_the_choices(home: Home, demo_text: str) -> None:
    with pytest.raises(ConfigFileError, match=r"views: .*'both', 'core' or 'extension'"):
        ConnectorStore(home).import_(demo_text.replace("type: fake\n", "type: fake\nviews: all\n"))


def test_core_view_refuses_what_no_client_could_write(home: Home, demo_text: str) -> None:
    text = demo_text.replace("type: fake\n", "type: fake\nviews: core\n").replace(
        "      Active: {scim: active, type: boolean}\n",
        "      Active: {scim: active, type: boolean}\n      Badge: {required: true}\n",
    )
    with pytest.raises(ConfigFileError) as caught:
        ConnectorStore(home).import_(text)
    assert "object_types.User.attributes.Badge: required, but `views: core` serves it at no path (no `scim:`)" in str(
        caught.value
    )
    assert "or set `views: both`" in str(caught.value)
    ConnectorStore(home).import_(text.replace("views: core", "views: both"))
