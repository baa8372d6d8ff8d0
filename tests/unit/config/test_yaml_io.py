from __future__ import annotations

import re

import pytest

from ecmahost.config import yaml_io
from ecmahost.config.errors import ConfigFileError


def test_syntax_error_names_file_line_and_column() -> None:
    with pytest.raises(ConfigFileError) as caught:
        yaml_io.parse_mapping("name: demo\nobject_types: {User: [\n", file="connectors/demo.yaml")
    issue = caught.value.issues[0]
    assert issue.line is not None
    assert issue.column is not None
    assert str(caught.value).startswith(f"connectors/demo.yaml:{issue.line}:{issue.column}: YAML syntax error")


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(ConfigFileError, match=re.escape("demo.yaml:2:1: YAML syntax error")):
        yaml_io.parse_mapping("name: a\nname: b\n", file="demo.yaml")


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigFileError, match="not a mapping"):
        yaml_io.parse_mapping("- a\n- b\n", file="x.yaml")


def test_empty_document_is_an_empty_mapping() -> None:
    assert yaml_io.parse_mapping("# nothing\n", file="x.yaml") == {}


def test_to_plain_gives_builtin_types() -> None:
    data = yaml_io.to_plain(yaml_io.parse_mapping("a: {b: [1, 'x', true]}\n", file="x.yaml"))
    assert data == {"a": {"b": [1, "x", True]}}
    assert type(data["a"]) is dict
    assert type(data["a"]["b"][1]) is str


def test_line_of_finds_the_deepest_existing_key() -> None:
    raw = yaml_io.parse_mapping("a: 1\nb:\n  c:\n    d: 2\n", file="x.yaml")
    assert yaml_io.line_of(raw, ("b", "c", "d")) == 4
    assert yaml_io.line_of(raw, ("b", "c", "missing")) == 3
    assert yaml_io.line_of(raw, ("zzz",)) is None


def test_merge_keeps_comments_of_keys_that_stay() -> None:
    raw = yaml_io.parse_mapping("# head\na: 1  # one\nb:\n  c: 2  # two\n  gone: 3\n", file="x.yaml")
    yaml_io.merge_into(raw, {"a": 1, "b": {"c": 5}, "new": "x"})
    assert yaml_io.dump(raw) == "# head\na: 1  # one\nb:\n  c: 5  # two\nnew: x\n"


def test_set_path_creates_missing_mappings() -> None:
    raw = yaml_io.parse_mapping("a: 1  # keep\n", file="x.yaml")
    yaml_io.set_path(raw, ["b", "c"], "v")
    assert yaml_io.dump(raw) == "a: 1  # keep\nb:\n  c: v\n"
