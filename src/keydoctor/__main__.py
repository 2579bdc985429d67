"""``python -m keydoctor``: the same as the ``keydoctor`` command."""

from keydoctor.cli import entry

entry()
