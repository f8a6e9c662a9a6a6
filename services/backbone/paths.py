"""Where the project keeps its git-ignored runtime state (broker data, generated secrets)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_dir() -> Path:
    """``BACKBONE_RUN_DIR`` or ``.run/`` in the project checkout."""
    return Path(os.environ.get("BACKBONE_RUN_DIR", PROJECT_ROOT / ".run")).resolve()


def private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that only its owner can read, never briefly world-readable."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)
