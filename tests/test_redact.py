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


# --- what each mask leaves, exactly -------------------------------------------------
#
# A mask that drops its label, keeps the value's owner out of the text or eats the words
# around it still "hides the secret", so leak tests pass; a person then reads a broken
# line. These pin the exact text (the mutation run over this module found such changes
# surviving).

_TOKEN = "IQoJb3JpZ2luX2Vjdl7dXTPyLsxPFkThf4VucSmEHgaKwVJ7faC9qEwjky40UVsWm"


def test_scrub_patterns_keeps_the_words_and_names_what_it_hid() -> None:
    cases = {
        "id AKIAIOSFODNN7EXAMPLE here": "id AKIA…MPLE here",
        f"aws_secret_access_key = {SECRET}": "aws_secret_access_key = <secret redacted>",
        f"password: {SECRET}": "password: <secret redacted>",
        f"X-Amz-Security-Token: {_TOKEN}": "X-Amz-Security-Token: <session token redacted>",
        f"token={_TOKEN}": "token=<session token redacted>",
        f"Signature={'ab' * 32} end": "Signature=<signature redacted> end",
        "X-Amz-Signature=abcdefABCDEF0123456789xyz rest": (
            "X-Amz-Signature=<signature redacted> rest"
        ),
        f"free {SECRET} text": "free <secret redacted> text",
        "see https://u:pw@host.example:9000/p/a?token=abc&x=1 now": (
            "see https://…@host.example:9000/p/a?… now"
        ),
    }
    for text, shown in cases.items():
        assert scrub_patterns(text) == shown, text


def test_mask_url_keeps_scheme_host_port_and_path() -> None:
    cases = {
        "https://u:pw@host.example:9000/p/a?token=abc": "https://…@host.example:9000/p/a?…",
        "http://host/p": "http://host/p",
        "host/p?x=1": "host/p?…",
        "s3://b/k?versionId=1": "s3://b/k?…",
        "https://a@b@h/p": "https://…@h/p",
        "not a url": "not a url",
        # a plain anchor stays; a fragment with parameters or a userinfo goes whole
        "https://docs.aws.amazon.com/p.html#anchor": "https://docs.aws.amazon.com/p.html#anchor",
        "https://h/p#x?y=1": "https://h/p#…",
        "https://h/p?q=1#frag": "https://h/p?…",
        "https://h/p#a@b/c": "https://h/p#…",
        "https://h/p#x@y?z": "https://h/p#…",
        "h#x?y": "h#…",
        "https://app/cb#access_token=eyJhbGciOi&token_type=bearer": "https://app/cb#…",
        "https://h/p#k=v": "https://h/p#…",
        "https://h:9/p?a=1?b=2": "https://h:9/p?…",
        # the userinfo ends at the authority's last "@", or holds a secret's "/"
        "https://u@h/a@b/c": "https://…@h/a@b/c",
        "s3://AKIAIOSFODNN7EXAMPLE:abc/def@bucket/key": "s3://…@bucket/key",
    }
    for url, shown in cases.items():
        assert mask_url(url) == shown, url


def test_setting_lines_exactly() -> None:
    """Headers, comments, indentation, ``:`` and ``=``, quotes, line endings, and each kind
    of value: what stays, and what each masked value turns into."""
    cases = {
        "[profile dev] # main\n": "[profile dev] # main\n",
        "[dev]\r\n": "[dev]\r\n",
        f"# rotated {SECRET} old\n": "# rotated … old\n",
        "; note: key here\n": "; note: <value redacted> (holds a space)\n",
        "\taws_access_key_id = AKIAIOSFODNN7EXAMPLE\n": "\taws_access_key_id = AKIA…MPLE\n",
        f'aws_secret_access_key: "{SECRET}"\r\n': 'aws_secret_access_key: "<secret redacted>"\r\n',
        "aws_session_token=abcdefgh\n": "aws_session_token=<session token redacted>\n",
        "region = eu-west-1\n": "region = eu-west-1\n",
        "endpoint_url = https://u:p@h:9/x?t=1\n": "endpoint_url = https://…@h:9/x?…\n",
        "credential_process = /bin/helper --password hunter2\n": (
            "credential_process = /bin/helper --password <value redacted>\n"
        ),
        "x=1:2\n": "x=<value redacted>\n",
        "note:a=b\n": "note:<value redacted>\n",
        "  s3 =\n": "  s3 =\n",
        "garbage line without sep\n": "garbage line without sep\n",
        "[\n": "[\n",
    }
    for line, shown in cases.items():
        assert mask_setting_line(line) == shown, line


def test_masked_values_name_their_odd_characters_and_keep_their_quotes() -> None:
    from keydoctor.redact import mask_value

    secret = "aws_secret_access_key"
    cases = {
        (secret, "ab\tc"): "<secret redacted> (holds a tab)",
        (secret, "a~b"): "<secret redacted>",  # "~" is printable ASCII
        (secret, "a!b"): "<secret redacted>",
        (secret, "a\x7fb"): "<secret redacted> (holds U+007F)",
        (secret, "a\x1fb"): "<secret redacted> (holds U+001F)",
        (secret, "a\u00e9"): "<secret redacted> (holds U+00E9)",
        (secret, "a b\tc\u00e9"): "<secret redacted> (holds a space, a tab, U+00E9)",
        (secret, "a b\tc\u00e9\x01"): "<secret redacted> (holds a space, a tab, U+00E9, …)",
        (secret, '"x"'): '"<secret redacted>"',
        (secret, "'ab'"): "'<secret redacted>'",
        ("db_password", "p"): "<secret redacted>",
        ("my_endpoint", "https://u:p@h/x"): "https://…@h/x",
        ("sso_start_url", "https://u:p@h/x?x=1"): "https://…@h/x?…",
    }
    for (name, value), shown in cases.items():
        assert mask_value(name, value) == shown, (name, value)


def test_a_secret_or_key_id_holding_another_is_removed_whole() -> None:
    """Longest first, whatever order they were added in: no tail of the longer is left."""
    secrets = Redactor(secrets=["Zq81mPx04k", "Zq81mPx04kTail77Qq"])
    assert secrets.scrub("x Zq81mPx04kTail77Qq y") == "x <secret redacted> y"
    ids = Redactor(key_ids=["AKIAIOSFODNN", "AKIAIOSFODNN7EXAMPLE"])
    assert ids.scrub("id AKIAIOSFODNN7EXAMPLE") == "id AKIA…MPLE"
    # the same value written without its invisible character is the same secret
    invisible = Redactor(secrets=["abc\u200bdefgh12"])
    assert invisible.scrub("x abcdefgh12 y") == "x <secret redacted> y"


def test_key_ids_from_six_characters_and_distinctive_secrets() -> None:
    shaped = Redactor(key_ids=["QZXJ7W", "QZXJ7"])
    assert shaped.scrub("a QZXJ7W b") == "a (hidden: not shaped like a key id) b"
    assert shaped.scrub("a QZXJ7 b") == "a QZXJ7 b"  # too short to search for safely
    values = ("abcdefgh", "abcdefg1", "Abcdefgh", "aBcdefgh", "abcdefg", "ABCDEFGH", "ab cdefgh")
    assert [distinctive(v) for v in values] == [False, True, False, True, False, False, True]


def test_process_output_is_hidden_from_its_first_line() -> None:
    prefix = "Error when retrieving credentials from custom-process:"
    text = f"{prefix} first hunter2\n{prefix} second"
    assert hide_process_output(text) == f"{prefix} <its error output is not shown>"
    assert hide_process_output(f"{prefix}  ") == f"{prefix}  "  # nothing written, nothing hidden
