"""One fix at a time per folder: an advisory lock held from reading the files to replacing them.

Why a lock file and not a lock on the credentials file itself: every write replaces the
file by a rename, so a lock taken on the old file's inode would not stop a second fix that
opens the new one. The lock lives in ``.keydoctor.lock`` beside the files (in the folder of
the real file, a symlink's target), is never replaced, and so names the same inode for
every keydoctor process. Holding it from before the plan is read until the last rename
makes "is the file still what I planned from?" and "replace it" one step for every other
keydoctor fix; editors that ignore the lock are still caught by that check.

Folders are locked in sorted order, so two fixes that need the same two folders never wait
for each other in a circle. The wait is bounded: after :data:`DEFAULT_WAIT` seconds (or
``KEYDOCTOR_LOCK_WAIT``) the fix refuses with one line and changes nothing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterable, Iterator

from keydoctor.fixes import atomic
from keydoctor.fixes.plan import FixError

LOCK_NAME = ".keydoctor.lock"
WAIT_ENV = "KEYDOCTOR_LOCK_WAIT"
DEFAULT_WAIT = 30.0
_POLL = 0.05


def lock_dirs(paths: Iterable[str]) -> list[str]:
    """The existing folders whose lock covers ``paths``, sorted: the order locks are taken in.

    A folder that does not exist yet holds no file to lose; a file a fix creates there is
    created exclusively (see :func:`keydoctor.fixes.atomic.write_atomic`).
    """
    found = {os.path.dirname(atomic.real_target(p)) or "." for p in paths}
    return sorted(d for d in found if os.path.isdir(d))


def _wait_seconds() -> float:
    raw = os.environ.get(WAIT_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


def _open_lock(directory: str) -> int | None:
    """The lock file's descriptor; None for a folder this process cannot write to at all
    (a read-only mount): no fix of ours can change a file there, so there is nothing to
    guard, and a fix that tries fails on its own, changing nothing."""
    path = os.path.join(directory, LOCK_NAME)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and not os.access(
            directory, os.W_OK
        ):
            return None
        raise FixError(
            f"cannot open the lock file {path} ({exc.strerror or exc}); nothing was changed"
        ) from None
    # Made by root in someone's folder, the lock file must stay usable by its owner.
    atomic.give_to_folder_owner(fd, directory)
    return fd


def _acquire(directory: str, deadline: float) -> int | None:
    fd = _open_lock(directory)
    if fd is None:
        return None
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise FixError(
                        f"another keydoctor fix is changing the files in {directory} (it "
                        f"holds {os.path.join(directory, LOCK_NAME)}); nothing was changed. "
                        "Run this fix again when that one has finished"
                    ) from None
                time.sleep(_POLL)
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def holding(paths: Iterable[str], wait: float | None = None) -> Iterator[list[str]]:
    """Hold the lock of every folder of ``paths`` (sorted order, bounded wait) for the block.

    Yields the folders locked. Locks are released when the block ends, or by the kernel
    when the process dies, so a killed fix never leaves a stale lock behind.
    """
    directories = lock_dirs(paths)
    deadline = time.monotonic() + (_wait_seconds() if wait is None else wait)
    held: list[int] = []
    try:
        for directory in directories:
            fd = _acquire(directory, deadline)
            if fd is not None:
                held.append(fd)
        yield directories
    finally:
        for fd in reversed(held):
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
