"""The one table of answer codes (``catalog/codes.toml``): valid, known to the catalog,
and the only place outside the catalog's errors and the lab's scenarios that names codes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from keydoctor.catalog import codes
from keydoctor.catalog.schema import load_catalog

PACKAGE = Path(codes.__file__).resolve().parent.parent
# The modules allowed to spell answer codes as string literals: the lab's scenarios (which
# state what the emulator answers) and the catalog's documentation example.
ALLOWED_MODULES = {"lab/scenarios.py", "lab/redshift_scenarios.py", "lab/redshift_entries.py"}


def test_every_credential_code_is_explained_by_the_catalog() -> None:
    catalog = load_catalog()
    table = codes.code_table()
    explained = (
        codes.UNKNOWN_KEY,
        codes.SIGNATURE,
        codes.TOKEN_EXPIRED,
        codes.TOKEN_INVALID,
        codes.SKEW,
        codes.HEADER,
        codes.DENIED,
        codes.REDIRECT,
    )
    for code in table.codes(*explained):
        if code.isdigit():
            continue  # an S3 status without a body: the probes say what it means
        assert catalog.by_code(code) is not None, f"{code} is in codes.toml, not in the catalog"


def test_families_are_disjoint_and_auth_is_flagged() -> None:
    table = codes.code_table()
    assert table.family("InvalidAccessKeyId") == codes.UNKNOWN_KEY
    assert table.family("InvalidClientTokenId") == codes.UNKNOWN_KEY
    assert table.is_auth("SignatureDoesNotMatch")
    assert not table.is_auth("AccessDenied")
    assert table.family("NoSuchThing") is None
    seen: set[str] = set()
    for family in table.families.values():
        assert not family.codes & seen
        seen |= family.codes


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"family": {"nonsense": {"auth": True, "meaning": "m", "codes": ["X"]}}}, "unknown"),
        ({"family": {}, "extra": {}}, "only"),
        ({"family": {"denied": {"auth": False, "meaning": "m"}}}, "exactly"),
        ({"family": {"denied": {"auth": "no", "meaning": "m", "codes": ["X"]}}}, "true or false"),
    ],
)
def test_a_bad_table_is_refused(raw: dict[str, object], message: str) -> None:
    with pytest.raises(codes.CodeTableError, match=message):
        codes.parse_table(raw)


def test_a_code_in_two_families_is_refused() -> None:
    good = codes.code_table()
    raw = {
        "family": {
            name: {"auth": f.auth, "meaning": f.meaning, "codes": sorted(f.codes)}
            for name, f in good.families.items()
        }
    }
    raw["family"]["denied"]["codes"].append("InvalidAccessKeyId")  # type: ignore[index]
    with pytest.raises(codes.CodeTableError, match="already in family"):
        codes.parse_table(raw)


def _literals(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
    return found


def test_codes_are_not_spelled_out_in_code() -> None:
    """A code literal outside the table is a second definition waiting to disagree."""
    named = {c for c in codes.code_table().by_code if not c.isdigit()}
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in ALLOWED_MODULES:
            continue
        spelled = sorted(_literals(path) & named)
        if spelled:
            offenders[relative] = spelled
    assert offenders == {}
