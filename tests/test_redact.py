"""Masking and scrubbing: the gate every output passes."""

from __future__ import annotations

from keydoctor.model import Secret
from keydoctor.redact import Redactor, contains_secret_shape, mask_key_id, scrub_patterns

SECRET = "q8Rk2T0xZbW4mN6vYp1LcH9sJ3dF5gA7eU2iO0tQ"


def test_mask_key_id() -> None:
    assert mask_key_id("AKIAY34FZKBOKMUTVV7A") == "AKIA…VV7A"
    assert mask_key_id(" AKIAY34FZKBOKMUTVV7A\n") == "AKIA…VV7A"
    # Anything not shaped like an IAM id may be a secret in the wrong place: hidden whole.
    assert mask_key_id("short") == "(hidden: not shaped like a key id)"
    assert mask_key_id("tHc7Zq1k2ZxYw8LmNoPq4rStUvWx5yZa1b2C9Rs5") == (
        "(hidden: not shaped like a key id)"
    )
    assert mask_key_id("") == "(empty)"
    assert mask_key_id(None) == "(none)"


def test_secret_object_never_prints() -> None:
    secret = Secret(SECRET)
    assert SECRET not in repr(secret) and SECRET not in str(secret) and SECRET not in f"{secret}"
    assert secret.reveal() == SECRET


def test_redactor_removes_known_secrets_and_padded_forms() -> None:
    redactor = Redactor(secrets=[SECRET + " "], key_ids=["AKIAY34FZKBOKMUTVV7A"])
    text = f"secret={SECRET} id=AKIAY34FZKBOKMUTVV7A again {SECRET[:-1]}x"
    out = redactor.scrub(text)
    assert SECRET not in out
    assert "AKIAY34FZKBOKMUTVV7A" not in out and "AKIA…VV7A" in out


def test_patterns_catch_unknown_secrets_in_pasted_text() -> None:
    pasted = (
        "aws_access_key_id=AKIAZZZZZZZZZZZZZZZZ aws_secret_access_key="
        + SECRET
        + " X-Amz-Signature="
        + "ab" * 32
    )
    out = scrub_patterns(pasted)
    assert SECRET not in out
    assert "AKIAZZZZZZZZZZZZZZZZ" not in out
    assert "ab" * 32 not in out
    assert contains_secret_shape(pasted)
    assert not contains_secret_shape("An error occurred (AccessDenied) when calling GetObject")


def test_plain_words_survive() -> None:
    text = "The request signature we calculated does not match the signature you provided."
    assert scrub_patterns(text) == text
