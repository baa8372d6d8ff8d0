"""Write a draft as a connector file, the one way both the admin UI and `ecmahost connector new/edit` do it.

The draft is validated first (an invalid draft writes nothing and raises `ConfigFileError` with every issue);
an edited connector keeps its file's comments (the store merges into the existing YAML). A generated token is
hashed here and shown once by the caller; it is never stored. `checked_save` also compares the draft with its
target first (`troubleshoot.target_check`) and writes nothing when they disagree or the target cannot be asked,
unless told to skip that check.
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from ecmahost.config import yaml_io
from ecmahost.config.errors import ConfigFileError
from ecmahost.config.model import ConnectorConfig
from ecmahost.config.store import ConnectorStore
from ecmahost.config.tokens import generate_token, hash_token, validate_token
from ecmahost.troubleshoot.target_check import TargetCheck, check_raw, refusal
from ecmahost.wizard.draft import ConnectorDraft
from ecmahost.wizard.steps import full_issues


def new_token(draft: ConnectorDraft, token: str | None = None) -> str:
    """Set the draft's token (given, or generated) and return it: the caller shows it once."""
    token = validate_token(token) if token is not None else generate_token()
    draft.token_hash = hash_token(token)
    return token


def file_text(draft: ConnectorDraft) -> str:
    """The YAML that saving would write for a new connector (secrets already encrypted or referenced)."""
    return yaml_io.dump(CommentedMap(draft.to_file_dict()))


def save_draft(store: ConnectorStore, draft: ConnectorDraft) -> ConnectorConfig:
    """Validate and write the draft's connector file; afterwards the draft edits an existing connector."""
    issues = full_issues(draft, store.home)
    if issues:
        raise ConfigFileError(f"connectors/{draft.name or '<new>'}.yaml", issues)
    new = draft.to_file_dict()
    raw = yaml_io.merge_into(store.read_raw(draft.name), new) if draft.existing else CommentedMap(new)
    config = store.save(raw)
    draft.existing = True
    return config


async def checked_save(
    store: ConnectorStore, draft: ConnectorDraft, *, skip_target_check: bool = False
) -> tuple[ConnectorConfig, TargetCheck | None]:
    """`save_draft` after the draft passed `check_target`: its problems (or a target that cannot be asked) raise
    `ConfigFileError` and nothing is written. With `skip_target_check` it saves unchecked (None is returned)."""
    issues = full_issues(draft, store.home)
    file = f"connectors/{draft.name or '<new>'}.yaml"
    if issues:
        raise ConfigFileError(file, issues)
    check = None
    if not skip_target_check:
        raw = yaml_io.merge_into(store.read_raw(draft.name), draft.to_file_dict()) if draft.existing else None
        check = await check_raw(raw if raw is not None else CommentedMap(draft.to_file_dict()), store.home, file=file)
        error = refusal(check, file)
        if error is not None:
            raise error
    return save_draft(store, draft), check
