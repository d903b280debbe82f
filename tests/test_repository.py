"""What the repository itself must not hold: paths of the machine it was written on.

A path like the build machine's checkout or home folder works there and nowhere else (a test
reading one skips in every other checkout). Data outside the repository is found relative to the
project root (`ROOT.parent / "shared"`, as the benchmarks do) or shipped under tests/fixtures.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Folders of a user or a workspace at the start of a path, not inside a URL or a relative path
# (`https://site/home/`, `docs/work/`). Example deployment paths (`/srv/airflow`, `/tmp/x.db`)
# belong to no machine and are allowed.
MACHINE_PATH = re.compile(r"(?<![\w.~:/-])/(?:work|home|Users|root|mnt|media)/[\w.-]")
SKIPPED_DIRS = {".git", ".venv", "data", "__pycache__", "node_modules"}


def repository_files() -> list[Path]:
    """The files git tracks, or without git every file outside the build and data folders."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout
        return [ROOT / name for name in listed.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [
            path
            for path in ROOT.rglob("*")
            if path.is_file()
            and not any(part in SKIPPED_DIRS or part.startswith(".") for part in path.parts)
        ]


def machine_paths(text: str) -> list[str]:
    """The machine paths in `text`, with the folder of this checkout whatever it is."""
    here = re.compile(r"(?<![\w.~:/-])" + re.escape(str(ROOT.parent)) + "/")
    return [m.group(0) for pattern in (MACHINE_PATH, here) for m in pattern.finditer(text)]


def test_the_check_finds_machine_paths_and_spares_urls() -> None:
    # samples written in pieces, so this file holds no machine path itself
    for sample in ("/" + "work/shared/seed/a.txt", "/" + "home/ana/newsflow", f"{ROOT}/x"):
        assert machine_paths(f'SEED = Path("{sample}")'), sample
        assert machine_paths(f"cd {sample} && make"), sample
    for fine in (
        '<a href="https://news.example/home/2024/">',
        "export AIRFLOW_HOME=/srv/airflow",
        "sqlite:////tmp/x.db",
        "ROOT.parent / 'shared' / 'bench'",
        "see docs/work/notes.md",
    ):
        assert machine_paths(fine) == [], fine


def test_no_absolute_machine_path_anywhere_in_the_repository() -> None:
    files = repository_files()
    assert len(files) > 50, "the file list is not the repository"
    offenders = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files (images, archives) and files deleted but not yet committed
        found = machine_paths(text)
        if found:
            offenders[str(path.relative_to(ROOT))] = sorted(set(found))
    assert offenders == {}
