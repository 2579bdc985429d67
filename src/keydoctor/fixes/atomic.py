"""Writing a credentials file without ever losing what was there.

Every write goes the same way: a timestamped backup beside the file (mode 0600, since it
holds the same secrets), the new content in a temporary file in the same directory,
``fsync``, an atomic ``os.replace``, the original mode kept, and an ``fsync`` of the
directory so that the rename itself survives a power cut. A reader therefore sees either
the old file or the new one, never half of each, and the old one is always on disk.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from datetime import UTC, datetime

BACKUP_MODE = 0o600
NEW_FILE_MODE = 0o600


def real_target(path: str) -> str:
    """The file a write must replace: a symlinked credentials file keeps its link."""
    return os.path.realpath(path)


def read_bytes(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def file_mode(path: str) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _fsync_dir(directory: str) -> None:
    # Directories cannot be opened for fsync on every platform; where they can, do it.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: str, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data`` in one rename; the file never exists half-written."""
    target = real_target(path)
    directory = os.path.dirname(target) or "."
    fd, temp = tempfile.mkstemp(
        prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(directory)


def backup_path(path: str, now: datetime | None = None) -> str:
    """``<file>.keydoctor-<UTC timestamp>.bak``, made unique if one already exists."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    target = real_target(path)
    candidate = f"{target}.keydoctor-{stamp}.bak"
    counter = 1
    while os.path.lexists(candidate):
        candidate = f"{target}.keydoctor-{stamp}-{counter}.bak"
        counter += 1
    return candidate


def make_backup(path: str, data: bytes) -> str:
    """Write ``data`` (the file's current bytes) to a new 0600 backup beside it."""
    destination = backup_path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(destination, flags, BACKUP_MODE)
    try:
        os.fchmod(fd, BACKUP_MODE)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(os.path.dirname(destination) or ".")
    return destination


def remove_file(path: str) -> None:
    """Undo the creation of a file keydoctor made itself."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(real_target(path))
