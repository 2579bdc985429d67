"""Writing a credentials file without ever losing what was there.

Every write goes the same way: a timestamped backup beside the file (mode 0600, since it
holds the same secrets), the new content in a temporary file in the same directory,
``fsync``, an atomic ``os.replace``, the original mode, owner and group kept, and an
``fsync`` of the directory so that the rename itself survives a power cut. A reader
therefore sees either the old file or the new one, never half of each, and the old one is
always on disk.

Ownership matters when root runs a fix on someone's files (``sudo keydoctor fix``): a file
written by root would otherwise become root's, and its owner could no longer read their own
credentials. So the new file and the backup get the owner and group of the file they
replace or copy; a new file gets those of its folder.
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


def _owner_of(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_uid, info.st_gid


def keep_owner(fd: int, owner: tuple[int, int] | None) -> None:
    """Give the open file ``owner`` (uid, gid): all of it as root, the group where allowed.

    Anyone but root can only hand a file to a group they belong to; failing that, the
    file keeps the writer's group, as any editor would leave it.
    """
    if owner is None:
        return
    uid, gid = owner
    info = os.fstat(fd)
    if (info.st_uid, info.st_gid) == (uid, gid):
        return
    if os.geteuid() == 0:
        os.fchown(fd, uid, gid)
    elif info.st_gid != gid:
        with contextlib.suppress(PermissionError):
            os.fchown(fd, -1, gid)


def give_to_folder_owner(fd: int, directory: str) -> None:
    """A file root makes in someone's folder becomes that someone's (owner and group)."""
    if os.geteuid() == 0:
        keep_owner(fd, _owner_of(directory))


def write_atomic(path: str, data: bytes, mode: int, *, exclusive: bool = False) -> None:
    """Replace ``path`` with ``data`` in one rename; the file never exists half-written.

    ``exclusive``: the file must not exist (a fix planned to create it); the new file is
    linked into place, which fails if anyone created it meanwhile, instead of renamed over
    it. Owner and group are those of the file replaced, else those of its folder.
    """
    target = real_target(path)
    directory = os.path.dirname(target) or "."
    owner = _owner_of(target) if not exclusive else None
    if owner is None and os.geteuid() == 0:
        owner = _owner_of(directory)
    fd, temp = tempfile.mkstemp(
        prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            keep_owner(handle.fileno(), owner)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(temp, target)  # FileExistsError if someone made it meanwhile
            os.unlink(temp)
        else:
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
    """Write ``data`` (the file's current bytes) to a new 0600 backup beside it.

    The backup belongs to the file's owner and group, like the file. A backup that cannot
    be written whole (a full disk) is removed again: no half backup is left behind.
    """
    destination = backup_path(path)
    owner = _owner_of(real_target(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(destination, flags, BACKUP_MODE)
    try:
        os.fchmod(fd, BACKUP_MODE)
        keep_owner(fd, owner)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(destination)
        raise
    os.close(fd)
    _fsync_dir(os.path.dirname(destination) or ".")
    return destination


def remove_file(path: str) -> None:
    """Undo the creation of a file keydoctor made itself."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(real_target(path))
