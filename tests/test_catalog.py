"""The catalog is data: it must load, validate, and refuse anything malformed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keydoctor.catalog.facts import FACTS
from keydoctor.catalog.matcher import diagnose
from keydoctor.catalog.schema import CatalogError, catalog_files, load_catalog, parse_catalog
from keydoctor.model import Category

REPO = Path(__file__).resolve().parent.parent

_GOOD_ERROR = """
[[error]]
code = "Demo"
service = "s3"
title = "t"
meaning = "m"
patterns = ['\\bDemo\\b']
[[error.cause]]
id = "c"
category = "key-id-wrong"
title = "t"
explanation = "e"
fix = "f"
"""


def test_shipped_catalog_loads_and_is_wide() -> None:
    catalog = load_catalog()
    codes = {e.code for e in catalog.errors}
    # The families the catalog must cover: S3, STS/IAM, KMS, SDK/tool errors, Redshift.
    for code in (
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "ExpiredToken",
        "InvalidClientTokenId",
        "KMSAccessDenied",
        "NoCredentialsError",
        "PartialCredentialsError",
        "ProfileNotFound",
        "NoRegionError",
        "UnauthorizedSSOTokenError",
        "RedshiftInvalidCredentials",
        "S3ServiceException",
        "PermanentRedirect",
        "AuthorizationHeaderMalformed",
        "RequestTimeTooSkewed",
    ):
        assert code in codes, code
    assert len(catalog.errors) >= 50


def test_every_cause_is_complete_and_in_the_vocabulary() -> None:
    catalog = load_catalog()
    for entry in catalog.errors:
        assert entry.causes, entry.code
        for cause in entry.causes:
            assert isinstance(cause.category, Category)
            assert cause.title and cause.explanation and cause.fix
            for name, _weight in cause.clues:
                assert name in catalog.clues


def test_every_code_pattern_recognises_its_own_code() -> None:
    """Feeding an error's bare code (as the CLI prints it) finds that error."""
    catalog = load_catalog()
    checked = 0
    for entry in catalog.errors:
        if not re.fullmatch(r"[A-Za-z][A-Za-z.]+", entry.code):
            continue
        if not any(p.search(entry.code) for p in entry.patterns):
            continue
        text = f"An error occurred ({entry.code}) when calling the DoThing operation: x"
        found = [e.code for e in diagnose(text, catalog=catalog).errors]
        assert entry.code in found, (entry.code, found)
        checked += 1
    assert checked >= 35


def _files(extra: str) -> dict[str, str]:
    return {"errors-test.toml": extra}


def test_minimal_catalog_parses() -> None:
    catalog = parse_catalog(_files(_GOOD_ERROR), FACTS)
    assert catalog.errors[0].code == "Demo"
    assert catalog.errors[0].causes[0].category is Category.KEY_ID_WRONG


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (_GOOD_ERROR.replace('category = "key-id-wrong"', 'category = "typo"'), "vocabulary"),
        (_GOOD_ERROR.replace('fix = "f"\n', 'fix = "f"\ncolour = "red"\n'), "unknown key"),
        (_GOOD_ERROR.replace('meaning = "m"\n', 'meaning = "m"\nseverity = 3\n'), "unknown key"),
        (_GOOD_ERROR.replace("patterns = ['\\bDemo\\b']", "patterns = ['(unclosed']"), "compile"),
        (_GOOD_ERROR.replace("patterns = ['\\bDemo\\b']", "patterns = ['x*']"), "empty string"),
        (_GOOD_ERROR.replace('fix = "f"\n', ""), "missing 'fix'"),
        (
            _GOOD_ERROR.replace('fix = "f"\n', 'fix = "f"\nclues = { no-such-clue = 1 }\n'),
            "unknown clue",
        ),
        (_GOOD_ERROR.replace('id = "c"', 'use = "nope"'), "unknown cause"),
        (_GOOD_ERROR + _GOOD_ERROR, "defined twice"),
        (_GOOD_ERROR.replace("patterns = ['\\bDemo\\b']\n", ""), "at least one"),
        (
            _GOOD_ERROR.replace('meaning = "m"\n', 'meaning = "m"\nrelated = ["Ghost"]\n'),
            "unknown error",
        ),
        ("[[error]\ncode = 1", "not valid TOML"),
    ],
)
def test_broken_catalogs_are_refused(broken: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(_files(broken), FACTS)


def test_clue_must_compile_and_have_a_reason() -> None:
    with pytest.raises(CatalogError, match="missing 'why'"):
        parse_catalog({"clues.toml": "[clue.x]\npattern = 'a'\n"}, FACTS)
    with pytest.raises(CatalogError, match="shadows a computed fact"):
        parse_catalog({"clues.toml": "[clue.china-region]\npattern = 'a'\nwhy = 'w'\n"}, FACTS)


def test_catalog_files_are_shipped_as_package_data() -> None:
    names = set(catalog_files())
    assert {
        "clues.toml",
        "causes.toml",
        "errors-s3.toml",
        "errors-auth.toml",
        "errors-sdk.toml",
    } <= names


def test_error_reference_pages_are_in_sync() -> None:
    from keydoctor.catalog.docs import out_of_date

    stale = out_of_date(REPO / "docs" / "errors")
    assert stale == [], f"run `python -m keydoctor.catalog.docs` to refresh: {stale}"


def test_error_reference_detects_a_stale_page(tmp_path: Path) -> None:
    from keydoctor.catalog.docs import out_of_date, write

    write(tmp_path)
    assert out_of_date(tmp_path) == []
    (tmp_path / "AccessDenied.md").write_text("edited by hand\n", encoding="utf-8")
    (tmp_path / "Gone.md").write_text("old page\n", encoding="utf-8")
    assert out_of_date(tmp_path) == ["AccessDenied.md", "Gone.md"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "expected the tables finding, standalone, observed"),
        (
            {"finding": {}, "standalone": {}, "observed": {"ruled_out_by_acceptance": [1]}},
            r"\[observed\]: ruled_out_by_acceptance must be a list of strings",
        ),
        (
            {"finding": {}, "standalone": {}, "observed": {"ruled_out_by_acceptance": ["nope"]}},
            "unknown categories nope",
        ),
    ],
)
def test_bad_ranking_weights_are_catalog_errors(raw: dict[str, Any], message: str) -> None:
    from keydoctor.catalog.ranking import parse_weights

    with pytest.raises(CatalogError, match=message):
        parse_weights(raw)


def test_reading_the_weights_leaves_the_catalog_loader_unloaded() -> None:
    """A healthy online check reads the weights only: neither the catalog's schema nor the
    TOML parser is loaded."""
    code = (
        "import sys; from keydoctor.catalog.ranking import weights; weights(); "
        "print('keydoctor.catalog.schema' in sys.modules, 'tomllib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False False"


def test_ranking_json_is_ranking_toml_as_written() -> None:
    """ranking.json is what `python -m keydoctor.catalog.ranking --write` makes of ranking.toml:
    a weight edited in the TOML and not regenerated fails here."""
    from keydoctor.catalog import ranking

    packaged = Path(ranking.__file__).with_name("ranking.json").read_text("utf-8")
    document = ranking.toml_document()
    assert json.loads(packaged) == document
    assert packaged == ranking.json_text(document)
    assert ranking.weights() == ranking.parse_weights(document)


_SHARED = """
[cause.one]
category = "kms"
general = {general}
title = "t"
explanation = "e"
fix = "f"

[cause.two]
category = "kms"
general = {second}
title = "t2"
explanation = "e2"
fix = "f2"
"""


def test_general_causes_are_one_per_category() -> None:
    """``general = true`` names the cause shown for a category its error does not list."""
    files = {"causes.toml": _SHARED.format(general="true", second="false"), **_files(_GOOD_ERROR)}
    catalog = parse_catalog(files, FACTS)
    assert [(c, cause.id) for c, cause in catalog.general.items()] == [(Category.KMS, "one")]
    with pytest.raises(CatalogError, match="a second general cause of kms"):
        parse_catalog(
            {**files, "causes.toml": _SHARED.format(general="true", second="true")}, FACTS
        )
    with pytest.raises(CatalogError, match="'general' must be true or false"):
        parse_catalog(
            {**files, "causes.toml": _SHARED.format(general='"yes"', second="false")}, FACTS
        )


def test_the_shipped_catalog_has_a_general_cause_for_every_category() -> None:
    general = load_catalog().general
    assert set(general) == set(Category)
    for category, cause in general.items():
        assert cause.category is category and cause.fix and cause.explanation
