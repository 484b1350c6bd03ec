"""Where things are: the dbt project, its profile, the DuckDB file, and the ledger files."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
BUNDLED_PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
PROFILE_NAME = "p402_monitor"
LEDGER_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
DEFAULT_DUCKDB_FILE = "p402_monitor.duckdb"


class LedgerNotFound(Exception):
    """The ledger path names no ledger file, or names one that cannot be read."""


def profiles_dir(explicit: str | None = None) -> Path:
    """The profiles folder dbt should use.

    An explicit folder wins, then ``DBT_PROFILES_DIR``, then a ``profiles.yml`` in the project
    or in ``~/.dbt`` that defines the ``p402_monitor`` profile; with none of those, the bundled
    zero-configuration profile (embedded DuckDB).
    """
    if explicit:
        return Path(explicit).resolve()
    if os.environ.get("DBT_PROFILES_DIR"):
        return Path(os.environ["DBT_PROFILES_DIR"]).resolve()
    for candidate in (PROJECT_DIR, Path.home() / ".dbt"):
        profiles = candidate / "profiles.yml"
        if profiles.is_file() and f"{PROFILE_NAME}:" in profiles.read_text(encoding="utf-8"):
            return candidate
    return BUNDLED_PROFILES_DIR


def target_dir() -> Path:
    """Where dbt writes its artifacts: ``$DBT_TARGET_PATH``, else the project's target folder."""
    return Path(os.environ.get("DBT_TARGET_PATH") or PROJECT_DIR / "target")


def duckdb_path(explicit: str | None = None) -> Path:
    """The embedded database file: ``--duckdb``, else ``$P402_DUCKDB_PATH``, else ./p402_monitor.duckdb."""
    return Path(explicit or os.environ.get("P402_DUCKDB_PATH") or DEFAULT_DUCKDB_FILE).resolve()


@dataclass(frozen=True)
class LedgerFiles:
    path: str
    files: tuple[Path, ...]


def find_ledger_files(path: str) -> LedgerFiles:
    """Every ledger file a file, folder or glob names, checked to be readable.

    dbt finds the same files again when it builds; checking here first turns a mistyped path
    into a one-line message instead of a failed build.
    """
    if any(char in path for char in "*?["):
        candidates = [Path(match) for match in glob.glob(path, recursive=True)]
    elif Path(path).is_dir():
        candidates = [file for file in Path(path).rglob("*") if file.is_file()]
    elif Path(path).exists():
        candidates = [Path(path)]
    else:
        raise LedgerNotFound(f"ledger path '{path}' does not exist")
    files = tuple(sorted(file for file in candidates if file.name.endswith(LEDGER_SUFFIXES)))
    if not files:
        raise LedgerNotFound(
            f"ledger path '{path}' holds no ledger file ({', '.join('*' + s for s in LEDGER_SUFFIXES)})"
        )
    for file in files:
        try:
            with open(file, "rb") as handle:
                handle.read(1)
        except OSError as error:
            raise LedgerNotFound(f"cannot read ledger file '{file}': {error.strerror}") from None
    return LedgerFiles(path=os.path.abspath(path), files=files)
