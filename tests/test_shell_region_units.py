"""Printed commands (:mod:`keydoctor.shell`) and the ``set-region`` plan, exactly.

A printed fix is pasted into a terminal, so each expectation below is what a POSIX shell
must receive: one word per argument, whatever blanks or metacharacters a value holds.
The region plan is checked as the bytes it would write, without any AWS call.
"""

from __future__ import annotations

import http.server
import os
import shlex
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from keydoctor.catalog import codes
from keydoctor.fixes.plan import FileWrite, FixError, RunState, Safety
from keydoctor.fixes.region import bucket_region, plan_set_region
from keydoctor.model import Secret
from keydoctor.shell import command, profile_args, quote, runnable_part


def test_command_quotes_each_argument_for_the_shell() -> None:
    line = command("aws", "configure", "set", "region", "us-east-1", "--profile", "my dev")
    assert line == "aws configure set region us-east-1 --profile 'my dev'"
    hostile = command("chmod", "600", "/home/a b/$(id)/it's")
    assert hostile == "chmod 600 '/home/a b/$(id)/it'\"'\"'s'"
    assert shlex.split(hostile) == ["chmod", "600", "/home/a b/$(id)/it's"]
    assert command() == ""
    assert command("") == "''"


@pytest.mark.parametrize(
    ("profile", "args"),
    [
        (None, ()),
        ("", ()),
        ("default", ()),
        ("dev", ("--profile", "dev")),
        ("Default", ("--profile", "Default")),
    ],
)
def test_profile_args(profile: str | None, args: tuple[str, ...]) -> None:
    assert profile_args(profile) == args


def test_quote() -> None:
    assert quote("plain") == "plain"
    assert quote("a b") == "'a b'"
    assert quote("") == "''"


@pytest.mark.parametrize(
    ("fix", "runnable"),
    [
        (
            "chmod 600 /h/.aws/credentials   (or remove group and other access)",
            "chmod 600 /h/.aws/credentials",
        ),
        ("  keydoctor fix tidy  (previews first)", "keydoctor fix tidy"),
        ("aws configure set region eu-west-1", "aws configure set region eu-west-1"),
        (
            "echo '(kept)' (one blank: part of the command)",
            "echo '(kept)' (one blank: part of the command)",
        ),
        ("a  (b)  (c)", "a"),
        ("", ""),
    ],
)
def test_runnable_part(fix: str, runnable: str) -> None:
    assert runnable_part(fix) == runnable


def test_the_one_location_constraint_rule() -> None:
    """GetBucketLocation's legacy answers, read in one place for probes, fixes and Redshift."""
    from keydoctor.probes.s3 import region_of_location

    assert region_of_location("") == "us-east-1"
    assert region_of_location(None) == "us-east-1"
    assert region_of_location("EU") == "eu-west-1"
    assert region_of_location("eu-west-1") == "eu-west-1"
    assert region_of_location("ap-south-2") == "ap-south-2"


def test_set_region_in_an_existing_profile(tmp_path: Path) -> None:
    config = tmp_path / "config"
    before = "[default]\nregion = us-east-1\n[profile dev]\noutput = json\nregion = us-east-1\n"
    config.write_text(before)
    plan = plan_set_region(str(config), "dev", "eu-west-1", "us-east-1")
    assert (plan.name, plan.safety, plan.summary) == (
        "set-region",
        Safety.SAFE,
        "set region = eu-west-1 in profile dev",
    )
    (step,) = plan.steps
    assert isinstance(step, FileWrite)
    after = "[default]\nregion = us-east-1\n[profile dev]\noutput = json\nregion = eu-west-1\n"
    assert step.path == str(config)
    assert step.preview_after == after
    assert step.before == before.encode()
    assert step.mode is None  # an existing file keeps its mode
    assert step.why == "region of profile dev"
    assert step.render(before, RunState()) == after
    assert plan.notes == ["profile dev: region us-east-1 -> eu-west-1"]
    assert config.read_text() == before  # planning writes nothing


def test_set_region_adds_the_setting_and_the_section(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\noutput = json\n")
    default = plan_set_region(str(config), "default", "ap-south-1", None)
    (step,) = default.steps
    assert isinstance(step, FileWrite)
    assert step.preview_after == "[default]\noutput = json\nregion = ap-south-1\n"
    assert default.notes == []
    named = plan_set_region(str(config), "ops", "ap-south-1", "")
    (step,) = named.steps
    assert isinstance(step, FileWrite)
    assert step.preview_after == (
        "[default]\noutput = json\n\n[profile ops]\nregion = ap-south-1\n"
    )
    assert named.notes == []


def test_set_region_creates_a_private_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    plan = plan_set_region(str(config), "default", "eu-north-1", None)
    (step,) = plan.steps
    assert isinstance(step, FileWrite)
    assert step.before is None
    assert step.mode == 0o600
    assert step.preview_after == "[default]\nregion = eu-north-1\n"
    assert not config.exists()


def test_set_region_when_it_is_already_right(tmp_path: Path) -> None:
    plan = plan_set_region(str(tmp_path / "config"), "dev", "eu-west-1", "eu-west-1")
    assert plan.steps == []
    assert plan.notes == ["profile dev already uses eu-west-1"]


def test_set_region_refuses_files_it_cannot_read(tmp_path: Path) -> None:
    latin = tmp_path / "config"
    latin.write_bytes(b"[caf\xe9]\n")
    with pytest.raises(FixError) as info:
        plan_set_region(str(latin), "dev", "eu-west-1", None)
    assert str(info.value) == f"{latin} is not UTF-8 text; save it as UTF-8 first"
    folder = tmp_path / "dir"
    folder.mkdir()
    with pytest.raises(FixError) as info:
        plan_set_region(str(folder), "dev", "eu-west-1", None)
    assert str(info.value) == f"{folder} cannot be read (Is a directory)"
    assert sorted(os.listdir(tmp_path)) == ["config", "dir"]  # nothing written beside them


# -- bucket_region against a loopback S3 that answers as S3 does ---------------------------------

Answer = tuple[int, dict[str, str], bytes]


class _S3(http.server.BaseHTTPRequestHandler):
    """Answers HEAD (HeadBucket) and GET ?location (GetBucketLocation) from a script."""

    head: Answer = (200, {}, b"")
    location: Answer = (200, {}, b"")
    asked: list[str] = []
    headers_seen: list[dict[str, str]] = []

    def _send(self, answer: Answer, body: bool) -> None:
        status, headers, content = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body:
            self.wfile.write(content)

    def do_HEAD(self) -> None:
        type(self).asked.append("HEAD")
        type(self).headers_seen.append(dict(self.headers))
        self._send(type(self).head, body=False)

    def do_GET(self) -> None:
        type(self).asked.append("GET " + self.path.split("?", 1)[-1])
        self._send(type(self).location, body=True)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _S3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _location(value: str) -> Answer:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint '
        f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{value}</LocationConstraint>'
    )
    return 200, {"Content-Type": "application/xml"}, xml.encode()


# A denial code read from the one code table (never spelled in a test), and a code that no
# AWS model knows: botocore names its exception class after a known code, so only the
# unknown one shows that the message takes the code from the answer, not from the class.
DENIED = sorted(c for c in codes.codes(codes.DENIED) if not c.isdigit())[0]
UNKNOWN_CODE = "KeydoctorTestRefusal"


def _denied(code: str = DENIED) -> Answer:
    xml = f"<Error><Code>{code}</Code><Message>no</Message></Error>".encode()
    return 403, {"Content-Type": "application/xml"}, xml


def _ask(url: str, head: Answer, location: Answer = (500, {}, b"")) -> str:
    _S3.head, _S3.location, _S3.asked = head, location, []
    return bucket_region(
        "my-bucket", "AKIAIOSFODNN7EXAMPLE", Secret("s"), endpoint_url=url, region="us-east-1"
    )


def test_the_region_header_of_head_bucket_answers(s3_url: str) -> None:
    assert _ask(s3_url, (200, {"x-amz-bucket-region": "eu-west-2"}, b"")) == "eu-west-2"
    assert _S3.asked == ["HEAD"]


def test_the_region_header_of_a_redirect_or_a_denial_answers(s3_url: str) -> None:
    assert _ask(s3_url, (301, {"x-amz-bucket-region": "ap-south-1"}, b"")) == "ap-south-1"
    assert _ask(s3_url, (403, {"x-amz-bucket-region": "sa-east-1"}, b"")) == "sa-east-1"
    assert _S3.asked == ["HEAD"]


@pytest.mark.parametrize(
    ("constraint", "region"),
    [("", "us-east-1"), ("EU", "eu-west-1"), ("ca-central-1", "ca-central-1")],
)
def test_without_the_header_get_bucket_location_answers(
    s3_url: str, constraint: str, region: str
) -> None:
    assert _ask(s3_url, (403, {}, b""), _location(constraint)) == region
    assert _S3.asked == ["HEAD", "GET location"]
    assert _ask(s3_url, (200, {}, b""), _location(constraint)) == region


def test_a_bucket_that_does_not_exist(s3_url: str) -> None:
    with pytest.raises(FixError) as info:
        _ask(s3_url, (404, {}, b""))
    assert str(info.value) == "bucket my-bucket does not exist"
    assert _S3.asked == ["HEAD"]


def test_a_missing_bucket_that_names_its_region_is_no_error(s3_url: str) -> None:
    assert _ask(s3_url, (404, {"x-amz-bucket-region": "eu-central-1"}, b"")) == "eu-central-1"


def test_when_no_answer_names_the_region(s3_url: str) -> None:
    with pytest.raises(FixError) as info:
        _ask(s3_url, (403, {}, b""), _denied())
    assert str(info.value) == f"could not learn the region of bucket my-bucket: {DENIED}"
    with pytest.raises(FixError) as info:
        _ask(s3_url, (403, {}, b""), _denied(UNKNOWN_CODE))
    assert str(info.value) == f"could not learn the region of bucket my-bucket: {UNKNOWN_CODE}"


def test_the_question_is_signed_with_the_token_and_region_given(s3_url: str) -> None:
    _S3.head, _S3.asked, _S3.headers_seen = (200, {"x-amz-bucket-region": "eu-west-3"}, b""), [], []
    found = bucket_region(
        "my-bucket",
        "ASIAY34FZKBOKMUTVV7A",
        Secret("s"),
        session_token=Secret("the-token"),
        endpoint_url=s3_url,
        region="eu-west-3",
    )
    assert found == "eu-west-3"
    (headers,) = _S3.headers_seen
    assert headers["X-Amz-Security-Token"] == "the-token"
    assert "Credential=ASIAY34FZKBOKMUTVV7A/" in headers["Authorization"]
    assert "/eu-west-3/s3/aws4_request" in headers["Authorization"]


def test_an_endpoint_that_does_not_answer() -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FixError) as info:
        bucket_region(
            "my-bucket",
            "AKIAIOSFODNN7EXAMPLE",
            Secret("s"),
            endpoint_url=f"http://127.0.0.1:{port}",
            region="us-east-1",
        )
    assert str(info.value) == (
        "could not learn the region of bucket my-bucket: EndpointConnectionError"
    )
