"""The masks' edges, exactly: where a URL's query or fragment starts, which lines of a
shared file are headers or comments, which quotes belong to a value, the order in which
known secrets are removed. Each expected text is written out from the rule it pins."""

from __future__ import annotations

from fractions import Fraction

from keydoctor.redact import (
    Redactor,
    contains_secret_shape,
    is_key_id_shaped,
    mark_invisible,
    mask_command,
    mask_setting_line,
    mask_url,
    mask_value,
    redact_tree,
    scrub_patterns,
    split_userinfo,
)

S = "U8JZpDE0/iGXlD6gNCFbaEP+FjbD0kH8Oool8Dkl"
SEC = "<secret redacted>"
PROCESS = "Error when retrieving credentials from custom-process:"


def test_a_key_id_needs_both_its_shape_and_its_prefix() -> None:
    assert is_key_id_shaped("AKIAIOSFODNN7EXAMPLE")
    assert not is_key_id_shaped("AKIA+abc")  # the prefix alone is not enough
    assert not is_key_id_shaped("QQQQIOSFODNN7EXAMPLE")  # nor the shape alone


def test_known_secrets_and_key_ids_are_removed_longest_first() -> None:
    """Sorted by length, not by text: the longer value holds the shorter one in its middle
    and sorts after it alphabetically."""
    secrets = Redactor(secrets=["b1234567X", "a0b1234567Xz"])
    assert secrets.scrub("x a0b1234567Xz y") == f"x {SEC} y"
    assert secrets("x b1234567X y") == f"x {SEC} y"  # a Redactor is the scrub function
    ids = Redactor(key_ids=["KIAIOSFODNN", "AKIAIOSFODNN7EXAMPLE"])
    assert ids.scrub("id AKIAIOSFODNN7EXAMPLE") == "id AKIA…MPLE"


def test_redact_tree_scrubs_what_str_would_print() -> None:
    assert redact_tree(Fraction(1, 3), lambda text: f"<{text}>") == "<1/3>"


def test_free_secrets_only_when_random_and_process_output_exactly() -> None:
    assert scrub_patterns("a" * 40) == "a" * 40
    assert scrub_patterns(f"x {S} y") == f"x {SEC} y"
    assert scrub_patterns(f"{PROCESS} boom") == f"{PROCESS} <its error output is not shown>"
    assert contains_secret_shape(f"x {S}")
    assert not contains_secret_shape("a" * 40)


def test_mask_url_edges() -> None:
    cases = {
        "https://h/p?u=s3://x": "https://h/p?…",  # the first "://" ends the scheme
        "https://h/p#a#b=1": "https://h/p#…",  # the first "#" starts the fragment
        "?token=abc": "?…",  # a query at the very start
        "#k=v": "#…",  # a fragment at the very start
        "#anchor": "#anchor",
        "https://h/p#Xanchor": "https://h/p#Xanchor",
    }
    for url, shown in cases.items():
        assert mask_url(url) == shown, url
    assert split_userinfo("AKIAIOSFODNN7EXAMPLE:ab/cd@bucket/key") == (
        "AKIAIOSFODNN7EXAMPLE:ab/cd",
        "bucket/key",
    )
    assert split_userinfo("u:p@h/x") == ("u:p", "h/x")
    assert split_userinfo("h/x") == ("", "h/x")


def test_setting_line_edges() -> None:
    cases = {
        # a no-break space at the end belongs to the value: named, not left as an ending
        "aws_secret_access_key = abc\u00a0\n": (
            "aws_secret_access_key = <secret redacted> (holds <NBSP>)\n"
        ),
        "aws_secret_access_key = \u00a0abc\n": (
            "aws_secret_access_key = <secret redacted> (holds <NBSP>)\n"
        ),
        # only blanks and tabs indent; anything else before a header makes it free text
        "\x0b[dev]\n": "…\n",
        "  [profile dev2]\n": "  [profile dev2]\n",
        "[dev] # ab2]\n": "[dev] # …\n",  # the header ends at its first "]"
        "[]x\n": "[]x\n",  # an empty header name is still a header
        "[1]\n": "[1]\n",
        # a setting inside a comment is masked like any setting
        "# aws_secret_access_key = abc\n": "# aws_secret_access_key = <secret redacted>\n",
        "#Xregion = eu-west-1\n": "#Xregion = <value redacted>\n",
        "# ;key = v\n": "# … = v\n",
        "#\x0b;key = v\n": "#… = <value redacted>\n",
        # the first separator splits; an unknown key shows its plain words only
        "note:a:b\n": "note:<value redacted>\n",
        "foo\u00a0= v\n": "…= <value redacted>\n",
        "[x=1\n": "…\n",
        "Xkey=1\n": "Xkey=<value redacted>\n",
    }
    for line, shown in cases.items():
        assert mask_setting_line(line) == shown, repr(line)


def test_mask_value_edges() -> None:
    secret = "aws_secret_access_key"
    assert mask_value("my_url", "https://u:p@h/x?y") == "https://…@h/x?…"
    assert mask_value(secret, '""') == f'"{SEC}"'
    assert mask_value(secret, "XabX") == SEC
    assert mask_value("aws_access_key_id", '"AKIAIOSFODNN7EXAMPLE"') == '"AKIA…MPLE"'
    assert mask_value("aws_access_key_id", "'AKIAIOSFODNN7EXAMPLE'") == "'AKIA…MPLE'"


def test_mask_command_and_mark_invisible_edges() -> None:
    assert mask_command("helper --token=a=b") == "helper --token=<value redacted>"
    assert mask_command("helper --token a b") == "helper --token <value redacted> b"
    assert mark_invisible("a\r\nb\u200b") == "a\\r\nb<ZWSP>"
