"""The project's one exception family; only the CLI catches it and turns it into exit 2."""

from __future__ import annotations


class KeydoctorError(Exception):
    """Base of every error keydoctor raises on purpose. Messages must already be masked."""


class UsageError(KeydoctorError):
    """The user asked for something that cannot be done as asked (bad flag, bad file)."""


class InputError(KeydoctorError):
    """An input (file, statement, pasted text) could not be read at all."""
