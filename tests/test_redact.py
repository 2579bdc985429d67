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


# --- values masked where they sit ---------------------------------------------------

from keydoctor.redact import (  # noqa: E402
    distinctive,
    hide_process_output,
    mark_invisible,
    mask_setting_line,
    mask_url,
    redact_tree,
)


def test_setting_lines_keep_their_spacing_and_hide_their_values() -> None:
    assert mask_setting_line(f"aws_secret_access_key = {SECRET}\n") == (
        "aws_secret_access_key = <secret redacted>\n"
    )
    assert mask_setting_line(f"aws_secret_access_key={SECRET}\r\n") == (
        "aws_secret_access_key=<secret redacted>\r\n"
    )
    assert mask_setting_line("aws_access_key_id =  AKIAY34FZKBOKMUTVV7A  \n") == (
        "aws_access_key_id =  AKIA…VV7A  \n"
    )
    assert mask_setting_line("region = eu-west-1\n") == "region = eu-west-1\n"
    assert mask_setting_line("  addressing_style = path\n") == "  addressing_style = path\n"
    assert mask_setting_line("[profile dev]\n") == "[profile dev]\n"


def test_a_secret_with_an_invisible_character_is_named_not_shown() -> None:
    line = f"aws_secret_access_key = {SECRET[:11]}\u200b{SECRET[11:]}\n"
    shown = mark_invisible(mask_setting_line(line))
    assert shown == "aws_secret_access_key = <secret redacted> (holds <ZWSP>)\n"
    quoted = mask_setting_line(f'aws_session_token = "{SECRET[:5]} {SECRET[5:]}"\n')
    assert quoted == 'aws_session_token = "<session token redacted> (holds a space)"\n'


def test_unknown_misspelt_and_odd_lines_are_masked_whole() -> None:
    assert mask_setting_line(f"aws_secret_acess_key = {SECRET}\n") == (
        "aws_secret_acess_key = <secret redacted>\n"
    )
    assert mask_setting_line(f"my_setting = {SECRET[:20]}\n") == "my_setting = <value redacted>\n"
    # a key id field holding something that is not a key id is not half-shown
    assert mask_setting_line(f"aws_access_key_id = {SECRET}\n") == (
        "aws_access_key_id = <value redacted>\n"
    )
    # comments and stray lines keep only their plain words
    encoded = SECRET.replace("/", "%2F").replace("+", "%2B")
    assert mask_setting_line(f"# the old one was {encoded}\n") == "# the old one was …\n"
    assert mask_setting_line(f"; {SECRET.lower()}\n") == "; …\n"
    assert mask_setting_line(f"{SECRET[:12]}\n") == "…\n"
    assert mask_setting_line(f"{SECRET[:6]}x = 1\n") == "… = <value redacted>\n"


def test_urls_and_commands_in_settings() -> None:
    assert mask_setting_line("endpoint_url = https://me:pw@minio.local:9000/x?token=t\n") == (
        "endpoint_url = https://…@minio.local:9000/x?…\n"
    )
    assert mask_setting_line("credential_process = helper --password pw1 --token=t2 -v\n") == (
        "credential_process = helper --password <value redacted> --token=<value redacted> -v\n"
    )
    # the new-key placeholders of a rotation preview stay readable
    assert mask_setting_line("aws_secret_access_key = <new secret access key>\n") == (
        "aws_secret_access_key = <new secret access key>\n"
    )


def test_mask_url() -> None:
    assert mask_url("https://user:pass@host:8443/p?token=abc") == "https://…@host:8443/p?…"
    assert mask_url("s3://AKIAY34FZKBOKMUTVV7A:ab/cd+ef@bucket/key") == "s3://…@bucket/key"
    assert mask_url("http://169.254.170.2/v2/creds?x=1") == "http://169.254.170.2/v2/creds?…"
    assert mask_url("https://docs.aws.amazon.com/a.html#anchor") == (
        "https://docs.aws.amazon.com/a.html#anchor"
    )
    assert mask_url("https://host:8080/a@b") == "https://host:8080/a@b"  # a path, not userinfo
    assert scrub_patterns("see https://u:pw@h/x?sig=1 now") == "see https://…@h/x?… now"


def test_short_and_common_word_secrets_are_masked_by_position_only() -> None:
    """A secret that is a plain word or too short is not searched for in the text (it
    would eat every use of that word), but where it sits as a value it is masked."""
    assert not distinctive("password") and not distinctive("QzX7") and distinctive(SECRET)
    redactor = Redactor(secrets=["profile", "ab1"])
    text = "profile dev has no region; run aws configure --profile dev"
    assert redactor.scrub(text) == text
    assert mask_setting_line("aws_secret_access_key = profile\n") == (
        "aws_secret_access_key = <secret redacted>\n"
    )
    assert mask_setting_line("aws_secret_access_key = ab1\n") == (
        "aws_secret_access_key = <secret redacted>\n"
    )


def test_process_output_is_never_shown() -> None:
    message = (
        "Error when retrieving credentials from custom-process: bad password hunter2\n"
        "second line hunter3"
    )
    assert "hunter" not in hide_process_output(message)
    assert "hunter2" not in scrub_patterns(message)
    assert "<its error output is not shown>" in hide_process_output(message)


def test_redact_tree_masks_values_before_serialising() -> None:
    import json

    secret = 'ab"c\\d\te' + SECRET
    redactor = Redactor(secrets=[secret])
    document = redact_tree({"a": [f"x {secret} y", 3, None], "b": {"c": secret}}, redactor.scrub)
    text = json.dumps(document)
    assert json.loads(text) == {
        "a": ["x <secret redacted> y", 3, None],
        "b": {"c": "<secret redacted>"},
    }
