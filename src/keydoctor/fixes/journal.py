"""The rotation journal: what a killed ``rotate-key`` needs to be finished or undone.

``iam:CreateAccessKey`` returns the new secret once. A rotation killed after that call and
before the new key reached its file would leave a key in IAM whose secret exists nowhere:
an orphan that also counts against the two keys IAM allows. So the moment the key exists,
keydoctor writes it to a journal beside the file it rotates (``.keydoctor-rotation-<profile>
-<hash>.json``, mode 0600 and the file owner's, exactly as private as the credentials file
itself), and removes the journal as the rotation's last step or when it rolls back. The
next ``fix rotate-key`` for the profile that finds a journal resumes from it (writes the
new key, verifies it, deactivates the old one) or, if that fails, deletes the orphan.

The journal holds a secret; nothing reads it for display: only masked key ids and the
journal's path are ever printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass

from keydoctor.fixes import atomic
from keydoctor.model import Secret

VERSION = 1
JOURNAL_MODE = 0o600


@dataclass(frozen=True)
class Journal:
    """One interrupted rotation: whose key, which old and new key, and where it goes."""

    profile: str
    user: str
    arn: str
    old_key_id: str
    new_key_id: str
    new_secret: Secret
    file: str | None  # the shared file the new key goes into; None: a hand-off file
    handoff: str | None
    started: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "profile": self.profile,
                "user": self.user,
                "arn": self.arn,
                "old_key_id": self.old_key_id,
                "new_key_id": self.new_key_id,
                "new_secret": self.new_secret.reveal(),
                "file": self.file,
                "handoff": self.handoff,
                "started": self.started,
            },
            indent=1,
        )


def journal_path(folder: str, profile: str) -> str:
    """Where the journal of ``profile``'s rotation lives; the hash keeps odd names apart."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile)[:40]
    digest = hashlib.sha256(profile.encode("utf-8")).hexdigest()[:8]
    return os.path.join(folder, f".keydoctor-rotation-{safe}-{digest}.json")


def write(path: str, journal: Journal) -> None:
    """Save the journal atomically, 0600, with the folder owner's ownership under root."""
    atomic.write_atomic(path, journal.to_json().encode("utf-8"), JOURNAL_MODE)


def read(path: str) -> Journal | str | None:
    """The journal at ``path``; None when there is none; a reason (str) when it is unusable."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or type(exc).__name__})"
    fields = ("profile", "user", "arn", "old_key_id", "new_key_id", "new_secret", "started")
    if (
        not isinstance(raw, dict)
        or raw.get("version") != VERSION
        or not all(isinstance(raw.get(name), str) for name in fields)
    ):
        return "is not a journal this keydoctor understands"
    return Journal(
        profile=raw["profile"],
        user=raw["user"],
        arn=raw["arn"],
        old_key_id=raw["old_key_id"],
        new_key_id=raw["new_key_id"],
        new_secret=Secret(raw["new_secret"]),
        file=raw.get("file") if isinstance(raw.get("file"), str) else None,
        handoff=raw.get("handoff") if isinstance(raw.get("handoff"), str) else None,
        started=raw["started"],
    )


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
