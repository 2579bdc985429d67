"""The typed result of ``keydoctor redshift`` and the format classes that print it.

``check_sql`` returns a frozen :class:`RedshiftResult`; each format builds its own output
from it. The three formats must tell the same story: the same statements, the same
findings, worst first, and none of the clause's secrets.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from keydoctor.model import Severity
from keydoctor.redshift.report import (
    JsonFormat,
    RedshiftResult,
    SarifFormat,
    TextFormat,
    by_severity,
    check_sql,
    render,
)

SECRET = "Rs8kPq2Wm7Xv9Ty4Ln6Jc1Hd5Fb3Gz0Aq/Ke+Mw7"
SQL = (
    "COPY t FROM 's3://bucket-a/p/' CREDENTIALS 'aws_access_key_id=AKIAZ3MPLEREDSHIFT01; "
    f"aws_secret_access_key={SECRET}' REGION 'US_EAST_1';\n"
    "select 1;\n"
    "UNLOAD ('select 1') TO 's3://bucket-b/out_' IAM_ROLE default;\n"
)


@pytest.fixture(scope="module")
def result() -> RedshiftResult:
    return check_sql(SQL, source="load.sql")


def test_the_result_is_frozen_and_typed(result: RedshiftResult) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.mode = "online"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.statements[0].findings = ()  # type: ignore[misc]
    assert isinstance(result.statements, tuple)
    assert [s.kind for s in result.statements] == ["COPY", "UNLOAD"]
    first = result.statements[0]
    assert first.auth.access_key_id == "AKIA…FT01" and first.auth.has_secret
    assert first.region == "US_EAST_1" and first.bucket == "bucket-a"
    assert result.statements[1].auth.roles == ("default",)
    assert SECRET not in repr(result)


def test_json_is_built_from_the_typed_result(result: RedshiftResult) -> None:
    document = json.loads(JsonFormat().format(result))
    assert document["command"] == "redshift" and document["mode"] == "offline"
    assert [s["index"] for s in document["statements"]] == [s.index for s in result.statements]
    assert [f["code"] for f in document["findings"]] == [
        f.code for f in by_severity(result.all_findings)
    ]
    assert sum(document["summary"].values()) == len(result.all_findings)
    assert document["statements"][0]["auth"]["access_key_id"] == "AKIA…FT01"
    assert "roles" not in document["statements"][0]["auth"]
    assert "access_key_id" not in document["statements"][1]["auth"]


def test_sarif_has_one_result_per_finding(result: RedshiftResult) -> None:
    sarif = json.loads(SarifFormat().format(result))
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [f.code for f in by_severity(result.all_findings)]
    worst = by_severity(result.all_findings)[0]
    assert results[0]["level"] == ("error" if worst.severity >= Severity.HIGH else "warning")
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "file://load.sql"
    )


def test_text_names_each_statement_and_counts(result: RedshiftResult) -> None:
    text = TextFormat().format(result)
    assert "Statement 1 (line 1): COPY s3://bucket-a/p/" in text
    assert "Statement 3 (line 3): UNLOAD s3://bucket-b/out_" in text
    assert (
        text.rstrip()
        .splitlines()[-1]
        .startswith(f"2 statement(s), {len(result.all_findings)} finding(s)")
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_format_shows_the_secret(result: RedshiftResult, fmt: str) -> None:
    out = render(fmt, result)
    assert SECRET not in out and "AKIAZ3MPLEREDSHIFT01" not in out
