"""Running as root, the kernel still refuses reads once the DAC-override capabilities go.

Tests of unreadable files run the CLI under ``setpriv`` without ``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH`` when the suite runs as root, so a mode or an owner really denies.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FOREIGN_UID = 4321  # a user that owns nothing else on the machine, as root did after sudo


@functools.cache
def drop_dac_prefix() -> tuple[str, ...] | None:
    """A command prefix under which even root cannot read a mode-000 file, or None."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "probe"
        target.write_text("x")
        target.chmod(0)
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", "import sys; open(sys.argv[1]).read()", str(target)],
            capture_output=True,
            timeout=30,
        )
    if probe.returncode == 0 or b"PermissionError" not in probe.stderr:
        return None  # the drop did not take effect (or setpriv itself is refused)
    return prefix


def give_away(path: Path, uid: int = FOREIGN_UID) -> None:
    """``chown -R uid`` of ``path``, as ``sudo aws sso login`` leaves the SSO caches.

    Folders keep their mode (``makedirs`` gives 0755), files become 0600 as botocore's
    ``JSONFileCache`` writes them (``mkstemp``).
    """
    for folder, dirs, files in os.walk(path):
        os.chown(folder, uid, uid)
        for name in dirs:
            os.chown(os.path.join(folder, name), uid, uid)
        for name in files:
            os.chown(os.path.join(folder, name), uid, uid)
            os.chmod(os.path.join(folder, name), 0o600)
