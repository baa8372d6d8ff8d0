"""The host's home folder: where it is, what lives in it, and writing files there privately.

Layout::

    <home>/
      host.yaml                 host settings (`ecmahost.settings`)
      connectors/<Name>.yaml    one file per connector (`ecmahost.config.store`)
      certs/host.crt, host.key  the generated TLS certificate and its key (0600)
      logs/                     log files
      secret.key                the key that encrypts `enc:` secrets (0600); never exported

The home is `--home`, else `$ECMAHOST_HOME`, else `~/.ecmahost`. This module knows paths and permissions
only: it does not read or validate the files, nor connector names (`config.store` checks those before it names a
file), so it imports nothing of the layers that use it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "ECMAHOST_HOME"
DEFAULT_HOME = Path("~/.ecmahost")
CONNECTOR_SUFFIX = ".yaml"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def resolve_home(option: Path | None = None) -> Path:
    """The home folder: the `--home` option, else `$ECMAHOST_HOME`, else `~/.ecmahost` (absolute, not
    created)."""
    if option is not None:
        return option.expanduser().resolve()
    from_env = os.environ.get(HOME_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser().resolve()
    return DEFAULT_HOME.expanduser().resolve()


@dataclass(frozen=True, slots=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, option: Path | None = None) -> Home:
        return cls(resolve_home(option))

    @property
    def host_file(self) -> Path:
        return self.root / "host.yaml"

    @property
    def connectors_dir(self) -> Path:
        return self.root / "connectors"

    @property
    def certs_dir(self) -> Path:
        return self.root / "certs"

    @property
    def cert_file(self) -> Path:
        return self.certs_dir / "host.crt"

    @property
    def key_file(self) -> Path:
        return self.certs_dir / "host.key"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def secret_key_file(self) -> Path:
        return self.root / "secret.key"

    def relative(self, path: Path) -> str:
        """`path` as shown in messages: relative to the home when inside it (`connectors/demo.yaml`)."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def ensure(self, *folders: Path) -> None:
        """Create the home and the given folders (private: 0700) if they are missing."""
        for folder in (self.root, *folders):
            ensure_private_dir(folder)


def ensure_private_dir(folder: Path) -> None:
    if not folder.is_dir():
        folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)


def write_private(path: Path, data: bytes | str, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """Write `path` atomically (temporary file in the same folder, then rename) with permissions `mode`, so a
    reader never sees half a file and a secret never exists with looser permissions."""
    ensure_private_dir(path.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(temporary, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
