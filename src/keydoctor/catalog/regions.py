"""What a region name alone says: its partition, whether it is opt-in, or that it is standard.

Kept apart from the pasted-text readers in :mod:`keydoctor.catalog.facts` because
``keydoctor check`` needs these clues for every ranking, and it should not pay for
compiling every reader's pattern to get them.
"""

from __future__ import annotations

import re

__all__ = ["OPTIN", "REGION", "region_flags"]

REGION = re.compile(
    r"\b((?:us-gov|us-isob?|cn|us|eu|ap|sa|ca|me|af|il|mx)-"
    r"(?:north|south|east|west|central|northeast|southeast|northwest|southwest|gov-west|"
    r"gov-east|iso-east|iso-west|isob-east)-\d{1,2})\b"
)
OPTIN = {
    "af-south-1",
    "ap-east-1",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
}


def region_flags(region: str) -> set[str]:
    """The region clues one region name establishes (partition, opt-in, or standard)."""
    if region.startswith("cn-"):
        return {"china-region"}
    if region.startswith("us-gov-"):
        return {"govcloud-region"}
    if region in OPTIN:
        return {"optin-region"}
    return {"standard-region"} if REGION.fullmatch(region) else set()
