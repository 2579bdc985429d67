"""Every scenario the lab knows, under one name each: the S3 ones, then Redshift's.

``keydoctor lab list`` and ``lab run`` read this list; the lab runner tells the two
kinds apart (an S3 scenario's application is a boto3 call, a Redshift one's is a COPY).
"""

from __future__ import annotations

from keydoctor.lab.redshift_entries import ENTRIES, RedshiftEntry
from keydoctor.lab.scenarios import SCENARIOS, Scenario

Entry = Scenario | RedshiftEntry

ALL: tuple[Entry, ...] = (*SCENARIOS, *ENTRIES)


def by_name(name: str) -> Entry | None:
    return next((entry for entry in ALL if entry.name == name), None)
