"""The machine's processes as the fault tests look for them in /proc: a crawl child to kill,
one that must be gone. Linux only, like the tests that use it."""

from __future__ import annotations

from pathlib import Path


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def alive(pid: int) -> bool:
    """Running, not only a zombie waiting for its parent."""
    try:
        return _stat(pid)[0] != "Z"
    except (OSError, IndexError):
        return False


def find(*words: bytes, parent: int | None = None) -> list[int]:
    """Live processes whose command line holds every one of `words` (and, with `parent`, whose
    parent it is)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            ppid = int(_stat(entry.name)[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent is not None and ppid != parent:
            continue
        if all(word in cmdline for word in words) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found
