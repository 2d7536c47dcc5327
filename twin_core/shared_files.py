"""Files others read (reports, Data Docs): written whole, readable by everyone.

A report folder is served by a web server or opened by a colleague, so its files are
0644 and its folders 0755 whatever the process umask is (``tempfile.mkstemp`` alone makes
0600 files, a service's umask 077 makes 0700 folders). Writes are atomic: a temporary
file in the same folder, then ``os.replace``; a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "make_dirs", "share_folders", "share_tree", "write_text"]

FILE_MODE = 0o644
DIR_MODE = 0o755


def make_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0755 (existing ones are left alone)."""
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(exist_ok=True)
        os.chmod(d, DIR_MODE)


def share_folders(*folders: Path) -> None:
    """Create (as ``make_dirs``) and make each of ``folders`` 0755, in order."""
    for folder in folders:
        make_dirs(folder)
        os.chmod(folder, DIR_MODE)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all, mode 0644 (folders made 0755)."""
    make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            os.fchmod(fh.fileno(), FILE_MODE)
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def share_tree(root: Path) -> None:
    """Make every folder under ``root`` (itself included) 0755 and every file 0644: for
    trees another library writes under the process umask (Great Expectations' Data Docs)."""
    if not root.exists():
        return
    os.chmod(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(folder, d), DIR_MODE)
        for f in files:
            os.chmod(os.path.join(folder, f), FILE_MODE)
