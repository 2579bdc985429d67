"""Masking of key ids and removal of secrets: the one gate every output passes.

Key ids are shown as their first and last four characters (``AKIA…WXYZ``) so that a
person can still tell two keys apart; secrets and session tokens are never shown in
any form, not even their length in a way that would help a guess.

Redaction works on values, before anything renders, escapes, truncates or marks them:
once a secret is inside a diff line with its zero-width space spelt ``<ZWSP>``, or inside
JSON with its tab spelt ``\\t``, no search can find it any more. So:

* the code that writes explanations uses :func:`mask_key_id` and :func:`mask_url` on
  purpose;
* a line of a shared file is shown through :func:`mask_setting_line`, which masks the
  value where it sits (only known non-secret settings are shown);
* a document is masked value by value (:func:`redact_tree`) before it is serialised;
* the run's :class:`Redactor` knows the exact, distinctive secrets seen in this run and
  masks anything shaped like a key id, a secret, a token, a signature or a URL's userinfo
  and query, in each value and once more over a text report.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from keydoctor.keyid import PREFIXES

ELLIPSIS = "…"
# Characters that show nothing but change a value; a diff names them instead.
INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u00a0"

# Access key ids and the other IAM unique ids share this shape: a four letter prefix and
# sixteen base32 characters. The lenient form also catches ids with a wrong length.
KEY_ID_PATTERN = re.compile(
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{12,20}\b"
)
# A secret access key: 40 characters of base64 alphabet. Only masked when the text also
# names a secret near it, or when it is free-standing and mixed-case with digits, so that
# long words and hashes are not eaten needlessly.
_SECRET_NEAR_WORD = re.compile(
    r"(?i)(secret[_ ]?(?:access)?[_ ]?key|aws_secret_access_key|secretaccesskey|secret_key|"
    r"SECRET_ACCESS_KEY|password)(\W{0,6})([A-Za-z0-9/+=]{30,60})"
)
_FREE_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
_TOKEN_NEAR_WORD = re.compile(
    r"(?i)(session[_ ]?token|security[_ ]?token|x-amz-security-token|token)(\W{0,6})"
    r"([A-Za-z0-9/+=%]{60,})"
)
_SIGNATURE = re.compile(r"(?i)(Signature=|X-Amz-Signature=)([0-9a-f]{64}|[A-Za-z0-9%/+=]{20,})")

REDACTED_SECRET = "<secret redacted>"
REDACTED_TOKEN = "<session token redacted>"
REDACTED_VALUE = "<value redacted>"
REDACTED_OUTPUT = "<its error output is not shown>"

# A URL in free text: a scheme, "://", and everything up to a blank or a quote.
# A backslash ends it too, so that an escaped quote of a serialised string stays whole.
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{0,15}://[^\s'\"<>`\\]+")
# botocore's message for a credential_process that exits non-zero carries the process's
# whole stderr, which is free text we cannot classify: a helper may print a password there.
_PROCESS_PREFIX = "Error when retrieving credentials from custom-process:"
_PROCESS_OUTPUT = re.compile(re.escape(_PROCESS_PREFIX) + r"[ \t]*[^\s][^\n]*")


# A known prefix, then no symbol of a secret's base64 alphabet, 16 to 32 characters: a
# secret (40) never fits, while a key id typed in lower case or with a look-alike letter
# (Cyrillic А) still shows its ends, which is what tells the user what is wrong with it.
_KEY_ID_SHAPE = re.compile(r"[A-Za-z]{4}[^/+=\s]{12,28}")
HIDDEN_VALUE = "(hidden: not shaped like a key id)"


def mask_key_id(key_id: str | None) -> str:
    """Show a key id as its first and last four characters, and anything else not at all.

    Only a value shaped like an IAM id (a known prefix such as ``AKIA``, 16 to 32
    characters in all, none of them ``/``, ``+``, ``=`` or a blank) is partly shown: a
    person can tell two keys apart and no secret is exposed. Anything else that reaches
    this function in a key id's place may be a secret (the two swapped, a folded line, a
    pasted token), so it is hidden whole; not even its ends are shown.
    """
    if key_id is None:
        return "(none)"
    value = key_id.strip()
    if not value:
        return "(empty)"
    if not is_key_id_shaped(value):
        return HIDDEN_VALUE
    return value[:4] + ELLIPSIS + value[-4:]


def is_key_id_shaped(value: str) -> bool:
    """True for a value that looks like an IAM id (``AKIA…``, ``ASIA…``, ``AIDA…``)."""
    return bool(_KEY_ID_SHAPE.fullmatch(value)) and value[:4].upper() in PREFIXES


def _looks_random(candidate: str) -> bool:
    has_upper = any(c.isupper() for c in candidate)
    has_lower = any(c.islower() for c in candidate)
    has_digit = any(c.isdigit() for c in candidate)
    return has_upper and has_lower and has_digit


class Redactor:
    """Removes known secrets and anything shaped like a key from text.

    ``secrets`` are exact values met during this run (secret keys, session tokens); they
    are removed wherever they appear, together with their stripped forms and their forms
    without invisible characters, so that a damaged secret is caught either way.

    Only *distinctive* values are removed by text search: a short value or a plain word
    (``hunter``, ``profile``) would be "found" in every sentence that uses the word, and
    would still not be protected where it is shown. Such values are masked where they
    sit, as values (:func:`mask_setting_line`, :func:`redact_tree`), never by search.
    """

    def __init__(self, secrets: Iterable[str] = (), key_ids: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._key_ids: list[str] = []
        for raw in secrets:
            self.add_secret(raw)
        for raw in key_ids:
            self.add_key_id(raw)

    def add_secret(self, value: str | None) -> None:
        if not value:
            return
        visible = "".join(c for c in value if c not in INVISIBLE_CHARACTERS)
        for form in {value, value.strip(), visible, visible.strip()}:
            if distinctive(form) and form not in self._secrets:
                self._secrets.append(form)
        # Longest first, so that a secret containing another is removed whole.
        self._secrets.sort(key=len, reverse=True)

    def add_key_id(self, value: str | None) -> None:
        if value and len(value.strip()) >= 6 and value.strip() not in self._key_ids:
            self._key_ids.append(value.strip())
            self._key_ids.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        return self.scrub(text)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED_SECRET)
        for key_id in self._key_ids:
            if key_id in text:
                text = text.replace(key_id, mask_key_id(key_id))
        return scrub_patterns(text)


def distinctive(value: str) -> bool:
    """Whether a secret value is safe to remove by text search.

    Eight characters or more and not a plain word: a word in lower, upper or title case
    could be any word of a sentence. Values that fail this are masked by position only.
    """
    core = value.strip()
    if len(core) < 8:
        return False
    return not (core.isalpha() and (core.islower() or core.isupper() or core.istitle()))


def redact_tree(value: Any, scrub: Callable[[str], str]) -> Any:
    """Every string of a JSON-like value passed through ``scrub``, before serialising.

    Redacting the serialised text instead would miss a secret that the serialiser
    escapes (a tab, a quote, a backslash) and could cut an escape in half.
    """
    if isinstance(value, str):
        # One value is one message: a process's stderr goes with every line it has.
        return scrub(hide_process_output(value))
    if isinstance(value, dict):
        return {redact_tree(key, scrub): redact_tree(item, scrub) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(item, scrub) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))  # what the serialiser's default=str would print


def scrub_patterns(text: str) -> str:
    """Mask whatever looks like a key id, a secret, a token or a signature."""
    text = KEY_ID_PATTERN.sub(lambda m: mask_key_id(m.group(0)), text)
    text = _SECRET_NEAR_WORD.sub(lambda m: m.group(1) + m.group(2) + REDACTED_SECRET, text)
    text = _TOKEN_NEAR_WORD.sub(lambda m: m.group(1) + m.group(2) + REDACTED_TOKEN, text)
    text = _SIGNATURE.sub(lambda m: m.group(1) + "<signature redacted>", text)
    text = _FREE_SECRET.sub(
        lambda m: REDACTED_SECRET if _looks_random(m.group(1)) else m.group(1), text
    )
    text = mask_urls(text)
    return _PROCESS_OUTPUT.sub(_PROCESS_PREFIX + " " + REDACTED_OUTPUT, text)


def contains_secret_shape(text: str) -> bool:
    """True when the text holds something that looks like a secret key or token."""
    if _SECRET_NEAR_WORD.search(text) or _TOKEN_NEAR_WORD.search(text):
        return True
    return any(_looks_random(m.group(1)) for m in _FREE_SECRET.finditer(text))


def hide_process_output(text: str) -> str:
    """botocore's credential_process error without the process's stderr (every line of it).

    The stderr of a helper program is free text: it may print the password it was given,
    in words no pattern recognises. Neither its first line nor its length is shown; the
    user runs the command by hand to read it.
    """
    start = text.find(_PROCESS_PREFIX)
    if start < 0 or not text[start + len(_PROCESS_PREFIX) :].strip():
        return text  # the process wrote nothing: nothing to hide
    return text[:start] + _PROCESS_PREFIX + " " + REDACTED_OUTPUT


def mask_url(url: str) -> str:
    """A URL without its userinfo and its query: ``https://…@host/path?…``.

    ``user:password@`` and query parameters (``?token=``, a presigned signature) are where
    URLs carry secrets; the scheme, host, port and path are what a diagnosis needs. The
    ellipses say that something was there. Works on any text, parseable or not.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    # The query goes, with any fragment after it; a fragment alone stays if it is a plain anchor.
    query = rest.find("?")
    fragment = rest.find("#")
    cut = query if query >= 0 and (fragment < 0 or query < fragment) else len(rest)
    if fragment >= 0 and fragment < cut:
        cut = fragment
    userinfo, head = split_userinfo(rest[:cut])
    tail = rest[cut:]
    masked = (scheme + sep if sep else "") + (ELLIPSIS + "@" if userinfo else "") + head
    if tail.startswith("?"):
        masked += "?" + ELLIPSIS
    elif tail:
        # A plain anchor (#section) stays; a fragment with parameters or userinfo
        # (``#access_token=…`` of an OAuth redirect) carries values, and goes.
        masked += "#" + ELLIPSIS if any(c in tail for c in "=&?@") else tail
    return masked


_USERINFO = re.compile(r"^(?P<user>[^/?#@:]*):(?P<password>[^?#@]*)@")


def split_userinfo(rest: str) -> tuple[str, str]:
    """``("user:password", "host/path")`` from what follows ``scheme://``; ``""`` first
    when there is no userinfo.

    A userinfo ends at the last ``@`` of the authority; an AWS secret used as a password
    (``s3://AKIA…:abc/def@bucket/``) may hold a ``/`` that would end the authority, so a
    ``user:password@`` whose user looks like a key id is userinfo whatever it holds.
    """
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        info, _, host = authority.rpartition("@")
        return info, host + slash + path
    match = _USERINFO.match(rest)
    if match and re.fullmatch(r"[A-Z0-9]{16,128}", match.group("user")):
        return match.group(0)[:-1], rest[match.end() :]
    return "", rest


def mask_urls(text: str) -> str:
    """Every URL of a free text through :func:`mask_url`."""
    return _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)


# --- lines of the shared files, masked as values -------------------------------------

# How a diff names the invisible characters it shows.
INVISIBLE_NAMES = {
    "\ufeff": "<BOM>",
    "\u200b": "<ZWSP>",
    "\u00a0": "<NBSP>",
    "\u200c": "<ZWNJ>",
    "\u200d": "<ZWJ>",
    "\u2060": "<WJ>",
}
# Settings whose values are never secret: shown as written. Every other key's value,
# a misspelt or unknown key included, is masked: guessing wrong costs a hidden value,
# never a printed secret.
PLAIN_SETTINGS = frozenset(
    {
        "region",
        "output",
        "role_arn",
        "source_profile",
        "credential_source",
        "mfa_serial",
        "role_session_name",
        "duration_seconds",
        "web_identity_token_file",
        "sso_session",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
        "sso_registration_scopes",
        "ca_bundle",
        "services",
        "s3",
        "retry_mode",
        "max_attempts",
        "login_session",
        "ignore_configured_endpoint_urls",
        "sts_regional_endpoints",
        "use_fips_endpoint",
        "use_dualstack_endpoint",
        "account_id_endpoint_mode",
        "defaults_mode",
        "aws_account_id",
        "parameter_validation",
        "tcp_keepalive",
        "cli_pager",
        "cli_timestamp_format",
        "cli_follow_urlparam",
        "cli_binary_format",
        "cli_auto_prompt",
        "cli_history",
        "metadata_service_timeout",
        "metadata_service_num_attempts",
        "ec2_metadata_service_endpoint_mode",
        "ec2_metadata_v1_disabled",
        "s3_use_arn_region",
        "s3_us_east_1_regional_endpoint",
        "request_checksum_calculation",
        "response_checksum_validation",
        "sigv4a_signing_region_set",
        "request_min_compression_size_bytes",
        "disable_request_compression",
        "addressing_style",
        "payload_signing_enabled",
        "use_accelerate_endpoint",
        "use_arn_region",
        "signature_version",
        "max_concurrent_requests",
        "max_queue_size",
        "multipart_threshold",
        "multipart_chunksize",
        "max_bandwidth",
        "preferred_transfer_client",
        "target_bandwidth",
        "api_versions",
        "plugins",
        "cli_legacy_plugin_path",
    }
)
_URL_SETTINGS = frozenset({"endpoint_url", "sso_start_url", "ec2_metadata_service_endpoint"})
_KEY_ID_SETTINGS = frozenset({"aws_access_key_id"})
_COMMAND_SETTINGS = frozenset({"credential_process"})
_KNOWN_KEYS = (
    PLAIN_SETTINGS
    | _URL_SETTINGS
    | _KEY_ID_SETTINGS
    | _COMMAND_SETTINGS
    | {"aws_secret_access_key", "aws_session_token", "aws_security_token", "external_id"}
)

_BLANKS = " \t"
_ENDINGS = " \t\r\n"
# A word a comment may show: short runs of lower-case or capitalised letters (or an
# acronym of up to five capitals), joined by _ or -, with punctuation around it. Anything
# else (digits, %-escapes, mixed case, long runs) may be a secret.
# (one way to match each run, so a failed match never backtracks through the runs)
_LETTERS = r"(?:[A-Z]{1,5}|[A-Z][a-z]{1,11}|[a-z]{1,12})"


@functools.cache
def _plain_word() -> re.Pattern[str]:
    """Compiled on first use: only file diffs show comments, and a check never does."""
    return re.compile(rf"^[(\[\"']?{_LETTERS}(?:[_'-]{_LETTERS})*[)\]\"'.,:;!?]*$")


_PUNCTUATION = re.compile(r"^[^\w\s]{1,3}$")
_PLACEHOLDER = re.compile(r"^<[a-z][a-z ]{0,40}>$")
_SECRET_FLAG = re.compile(r"(?i)^--?[\w-]*(?:secret|password|passwd|token|key)[\w-]*$")


def mask_setting_line(line: str) -> str:
    """One line of a credentials or config file with its value masked where it sits.

    ``key = value``: the key, the spacing around ``=`` and the line ending stay as they
    are; the value is shown only for a known non-secret setting, as a masked id for a key
    id, without userinfo and query for a URL, and as ``<secret redacted>`` otherwise,
    with the invisible or odd characters it holds named (never shown). Section headers and
    blank lines stay; comments and any other line keep only their plain words.

    Split with string operations, not a regular expression: linear in the line whatever
    runs of blanks or separators it holds.
    """
    body = line.rstrip(_ENDINGS)
    ending = line[len(body) :]
    if not body.strip():
        return line
    stripped = body.lstrip(_BLANKS)
    lead = body[: len(body) - len(stripped)]
    if stripped.startswith("["):
        close = stripped.find("]")
        if close > 0:
            return lead + stripped[: close + 1] + mask_words(stripped[close + 1 :]) + ending
    if stripped[:1] in ("#", ";"):
        text = stripped.lstrip("#;")
        text_body = text.lstrip(_BLANKS)
        marker = stripped[: len(stripped) - len(text_body)]
        return lead + marker + (_mask_setting(text_body) or mask_words(text_body)) + ending
    return lead + (_mask_setting(stripped) or mask_words(stripped)) + ending


def mask_words(text: str) -> str:
    """Free text of a file (a comment, a stray line) with only its plain words kept."""
    parts = re.split(r"([ \t]+)", text)
    shown = []
    for part in parts:
        if (
            not part
            or part.isspace()
            or _PUNCTUATION.match(part)
            or (_plain_word().match(part) and any(c.isalpha() for c in part))
        ):
            shown.append(part)
        else:
            shown.append(ELLIPSIS)
    return "".join(shown)


def _mask_setting(text: str) -> str | None:
    """``key = value`` (or ``key: value``) with its value masked; None when ``text`` is
    not a setting (no separator, or nothing before it)."""
    cuts = [at for at in (text.find("="), text.find(":")) if at > 0]
    if not cuts:
        return None
    at = min(cuts)
    key = text[:at].rstrip(_BLANKS)
    value = text[at + 1 :].lstrip(_BLANKS)
    separator = text[len(key) : len(text) - len(value)]
    if not key or key[0] in "[#;":
        return None
    name = "".join(c for c in key if c not in INVISIBLE_CHARACTERS).strip().lower()
    # A key is shown as written when keydoctor knows it; otherwise only its plain words,
    # since the text before an "=" may itself be a piece of a secret.
    shown_key = key if name in _KNOWN_KEYS else mask_words(key)
    return shown_key + separator + mask_value(name, value)


def mask_value(name: str, value: str) -> str:
    """The value of setting ``name`` as a report may show it (see :func:`mask_setting_line`)."""
    if not value or _PLACEHOLDER.match(value):
        return value
    if name in PLAIN_SETTINGS:
        return value
    if name in _URL_SETTINGS or name.endswith(("_url", "_endpoint")):
        return mask_url(value)
    if name in _COMMAND_SETTINGS:
        return mask_command(value)
    quote = value[0] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else ""
    inner = value[1:-1] if quote else value
    visible = "".join(c for c in inner if c not in INVISIBLE_CHARACTERS).strip()
    if name in _KEY_ID_SETTINGS and KEY_ID_PATTERN.fullmatch(visible):
        shown = mask_key_id(visible)
    elif "token" in name:
        shown = REDACTED_TOKEN
    elif "secret" in name or "password" in name:
        shown = REDACTED_SECRET
    else:
        shown = REDACTED_VALUE
    return quote + shown + _odd_characters(inner) + quote


def _odd_characters(value: str) -> str:
    """Names of what makes a value wrong without showing it: invisible characters, blanks
    inside, characters outside ASCII (by code point)."""
    names: list[str] = []
    for char in value:
        if char in INVISIBLE_NAMES:
            name = INVISIBLE_NAMES[char]
        elif char == " ":
            name = "a space"
        elif char == "\t":
            name = "a tab"
        elif ord(char) > 126 or ord(char) < 32:
            name = f"U+{ord(char):04X}"
        else:
            continue
        if name not in names:
            names.append(name)
    if not names:
        return ""
    more = ", …" if len(names) > 3 else ""
    return " (holds " + ", ".join(names[:3]) + more + ")"


def mask_command(command: str) -> str:
    """A command line (``credential_process``) with the value of any secret-named flag
    (``--password x``, ``--token=x``) masked, URLs masked, and secret shapes scrubbed."""
    parts = re.split(r"([ \t]+)", command)
    shown: list[str] = []
    hide_next = False
    for part in parts:
        if not part or part.isspace():
            shown.append(part)
            continue
        flag, equals, _ = part.partition("=")
        if hide_next:
            shown.append(REDACTED_VALUE)
            hide_next = False
        elif equals and _SECRET_FLAG.match(flag):
            shown.append(flag + "=" + REDACTED_VALUE)
        else:
            shown.append(part)
            hide_next = bool(_SECRET_FLAG.match(part))
    return scrub_patterns("".join(shown))


def mark_invisible(text: str) -> str:
    """Invisible characters and CRs of a (masked) text named, so a diff shows them."""
    text = text.replace("\r\n", "\\r\n")
    for char, name in INVISIBLE_NAMES.items():
        text = text.replace(char, name)
    return text


# --- pasted text: secrets recognised by their labels, in every common form -------------

# A label that names a secret or a token: env (AWS_SECRET_ACCESS_KEY), INI and YAML keys
# (aws_secret_access_key), JSON and XML (SecretAccessKey), Java properties (aws.secretKey,
# fs.s3a.secret.key), CLI flags (--secret-access-key), headers and query strings
# (X-Amz-Security-Token), Redshift (token=). Literal alternatives only: linear in the text.
_LABEL_WORDS = (
    r"(?<![A-Za-z0-9])(?:aws[_.-]?)?(?:"
    r"secret(?:[_.\- ]?access)?[_.\- ]?key|secret|x-amz-security-token|"
    r"(?:session|security)[_.\- ]?token|token|password|passwd)(?![A-Za-z0-9])"
)
# The lookahead on the first letter lets the engine skip ahead by character class: ten
# times faster over long runs that hold no label (blanks, logs).
_FIRST_LETTER = r"(?=[ASTXPastxp])"
_PASTED_LABEL = re.compile(_FIRST_LETTER + _LABEL_WORDS, re.IGNORECASE)
# Every label holds one of these: a text without any is not scanned for labels at all.
_LABEL_KEYWORDS = ("secret", "token", "passw")
# What may stand between a label and its value. A blank alone counts only after a CLI
# flag (--secret-access-key VALUE), an upper-case env name (set -x AWS_SECRET_ACCESS_KEY
# VALUE, Redshift's SECRET_ACCESS_KEY 'VALUE') or an XML tag.
_PASTED_SEPARATOR = re.compile(r"[\"']?[ \t]{0,8}(?:=>|[=:])[ \t]{0,8}")
_PASTED_BLANKS = re.compile(r"[ \t]{1,8}")
_LABEL_BUDGET = 4096  # labels looked at one by one; beyond, one substitution hides the rest
_PASTED_LABELLED = re.compile(
    _FIRST_LETTER + _LABEL_WORDS + r"[\"']?[ \t]{0,8}(?:=>|[=:>]|[ \t])[ \t]{0,8}[\"'`]?"
    r"[^ \t\r\n;,&\"'`<>(){}\[\]|\\]+",
    re.IGNORECASE,
)
# Where an unquoted value ends. Invisible characters do not end it (they are the damage
# that makes a pasted secret fail), nor does a no-break space between two pieces.
_PIECE = re.compile(r"[^ \t\r\n;,&\"'`<>(){}\[\]|\\]*")
# The inside of a quoted value: escapes are skipped; a line break ends it in any case.
_QUOTED = {quote: re.compile(r"(?:[^\\\n" + quote + r"]|\\[^\n])*") for quote in ('"', "'", "`")}
# A short piece after a blank inside a token still belongs to it when it does not read as
# a word: a digit, a base64 symbol or a capital past its first character.
_KEY_LIKE_PIECE = re.compile(r"[0-9/+=A-Z]")
_JOINABLE = re.compile("[A-Za-z0-9/+=" + INVISIBLE_CHARACTERS + "]+")
_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=")
_SECRET_LENGTH = 40
_TOKEN_PIECE = 16  # a blank inside a token: the piece after it is at least this long
_NEAR_LABEL = 24  # a random-looking run this close after a label is its value
# Runs of the base64 alphabet, each tried once from its first character (linear).
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{16,}")
# The starts of STS session tokens: a run that begins so is a token whatever its length.
_TOKEN_STARTS = ("IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AgoJb3JpZ2lu")
# An error class introducing its message, letters only: where a value would stand it is
# the start of the next sentence of an error text, never a key or a token.
_ERROR_NAME = re.compile(r"[A-Z][A-Za-z]{1,60}(?:Error|Exception):")
_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%")


class PastedScrub:
    """The result of :func:`scrub_pasted`: the text with its secrets replaced, and the
    values removed (so that a run's :class:`Redactor` removes them anywhere else too)."""

    __slots__ = ("secrets", "text")

    def __init__(self, text: str, secrets: list[str]) -> None:
        self.text = text
        self.secrets = tuple(secrets)

    @property
    def found(self) -> bool:
        return bool(self.secrets)


def scrub_pasted(text: str) -> PastedScrub:
    """Pasted text with every secret and token value replaced where it sits.

    A value is recognised by its label in any common form (env, INI, YAML with folded
    ``>-`` blocks, JSON, XML, CLI flags, Java properties, HTTP headers, query strings,
    Redshift's ``token=``), whatever its length and characters: a value with a blank or
    an invisible character inside, or of 39 or 41 characters, is still a value. Without
    a label, a random-looking run close after a label word, a run that starts like an STS
    token, one of 36 to 44 characters, or one of 80 and more is removed too.

    This runs before anything cuts the text into lines or windows, so a window can never
    show the part of a secret that lies beyond its label.
    """
    out: list[str] = []
    secrets: list[str] = []
    done = 0
    budget = _LABEL_BUDGET
    lowered = text.lower()
    labelled = any(word in lowered for word in _LABEL_KEYWORDS)
    for found in _PASTED_LABEL.finditer(text) if labelled else ():
        if found.start() < done:
            continue
        budget -= 1
        if budget < 0:
            # A text made of labels (hostile, or a dump of thousands of settings): the
            # rest is masked by one constant substitution, done in C, which hides each
            # label with the value after it, without the per-value care above.
            out.append(_PASTED_LABELLED.sub(REDACTED_SECRET, text[done:]))
            done = len(text)
            secrets.append(REDACTED_SECRET)  # something was hidden: say so
            break
        span = _labelled_value(text, found)
        if span is None:
            continue
        start, end, token = span
        value = text[start:end]
        if not value.strip() or _VARIABLE.fullmatch(value.strip()):
            continue
        out.append(text[done:start])
        out.append(_placeholder(value, token))
        secrets.extend(_forms(value))
        done = end
    out.append(text[done:])
    scrubbed = "".join(out)
    bare: list[str] = []
    scrubbed = _BASE64_RUN.sub(lambda m: _bare_run(m.group(0), bare), scrubbed)
    return PastedScrub(scrubbed, secrets + bare)


def _forms(value: str) -> list[str]:
    """The value, and the pieces a reader may meet elsewhere: without its blanks, and
    each line of a folded block."""
    forms = [value]
    joined = "".join(value.split())
    if joined != value:
        forms.append(joined)
    if "\n" in value:
        forms.extend(line.strip() for line in value.split("\n") if line.strip())
    return forms


def _placeholder(value: str, token: bool) -> str:
    """One placeholder for the value; the line breaks of a folded block are kept."""
    label = REDACTED_TOKEN if token else REDACTED_SECRET
    if "\n" not in value:
        return label
    return label + "\n" * value.count("\n")


def _bare_run(run: str, removed: list[str]) -> str:
    if not _looks_random(run):
        return run
    if run.startswith(_TOKEN_STARTS) or len(run) >= 80:
        removed.append(run)
        return REDACTED_TOKEN
    if 36 <= len(run) <= 44:
        removed.append(run)
        return REDACTED_SECRET
    return run


def _labelled_value(text: str, label: re.Match[str]) -> tuple[int, int, bool] | None:
    """Where the value of one label lies: (start, end, is a token), or None."""
    name = label.group(0).lower()
    token = "token" in name
    at = label.end()
    before = text[label.start() - 1] if label.start() else ""
    separator = _PASTED_SEPARATOR.match(text, at)
    if separator is None and text.startswith(">", at) and before == "<":
        separator = re.compile(">").match(text, at)  # <SecretAccessKey>value</…>
    if separator is None and (before == "-" or label.group(0).isupper()):
        separator = _PASTED_BLANKS.match(text, at)
    if separator is None:
        return _near_label(text, at, token)
    start = separator.end()
    if start >= len(text) or text[start] in "\r\n":
        return None
    first = text[start]
    if first in "\"'`":
        return _quoted(text, start, token, name)
    if first in ">|":
        block = _folded_block(text, label.start(), start)
        if block is not None:
            return block[0], block[1], token
    variable = _VARIABLE.match(text, start)
    if variable is not None and _piece_end(text, variable.end()) == variable.end():
        # ``${NAME}`` holds a brace, where an unquoted value ends: without this the "$"
        # alone would be taken for the value and a variable reported as a pasted secret.
        return None
    piece = _piece_end(text, start)
    if _ERROR_NAME.fullmatch(text, start, piece) and text[piece : piece + 1] in ("", " ", "\t"):
        # "in get session token: ValidationError: 1 validation error": the label word ends
        # a sentence and an error class starts the next one; no secret is named so.
        return None
    end = _unquoted_end(text, start, token)
    return (start, end, token) if end > start else None


def _quoted(text: str, start: int, token: bool, label: str) -> tuple[int, int, bool]:
    """The inside of a quoted value, up to its closing quote or the end of its line."""
    inside = _QUOTED[text[start]].match(text, start + 1)
    end = inside.end() if inside else start + 1
    if end >= len(text) or text[end] != text[start]:
        # No closing quote on the line: the value is what an unquoted one would be, not
        # the rest of the line (which may be the error itself).
        return start + 1, _unquoted_end(text, start + 1, token), token
    if text.count(" ", start, end) > 2 and "password" not in label and "passwd" not in label:
        # Words, not a key or token (those hold one blank at most, as damage): a sentence
        # quoted after a label, such as the error message itself, keeps all but its start.
        return start + 1, _unquoted_end(text, start + 1, token), token
    return start + 1, end, token


def _piece_end(text: str, start: int) -> int:
    found = _PIECE.match(text, start)
    return found.end() if found else start


def _unquoted_end(text: str, start: int, token: bool) -> int:
    """The end of an unquoted value; a blank inside joins two pieces of a damaged value:
    the next piece belongs to it when it is long or does not read as a word, or when a
    secret is still short of 40 characters."""
    end = _piece_end(text, start)
    visible = _visible_length(text[start:end])
    while end + 1 < len(text) and text[end] == " " and text[end + 1] in _BASE64:
        after = _piece_end(text, end + 1)
        piece = text[end + 1 : after]
        if _JOINABLE.fullmatch(piece) is None:
            break
        visible += _visible_length(piece)
        joins = (
            len(piece) >= _TOKEN_PIECE
            or _KEY_LIKE_PIECE.search(piece[1:]) is not None
            or (not token and visible <= _SECRET_LENGTH + 1)
        )
        if not joins:
            break
        end = after
    return end


def _visible_length(value: str) -> int:
    return len(value) - sum(value.count(c) for c in INVISIBLE_CHARACTERS)


def _folded_block(text: str, label_start: int, start: int) -> tuple[int, int] | None:
    """A YAML block scalar (``key: >-`` then indented lines): the lines, as one value."""
    line_end = text.find("\n", start)
    if line_end < 0 or text[start + 1 : line_end].strip(" \t-+0123456789"):
        return None
    line_start = text.rfind("\n", 0, label_start) + 1
    indent = len(text[line_start:label_start]) - len(text[line_start:label_start].lstrip(" "))
    end = at = line_end + 1
    while at < len(text):
        next_end = text.find("\n", at)
        next_end = len(text) if next_end < 0 else next_end
        line = text[at:next_end]
        if line.strip() and len(line) - len(line.lstrip(" \t")) <= indent:
            break
        if line.strip().count(" ") > 1:
            return None  # words: a folded sentence, not a folded key or token
        end = next_end
        at = next_end + 1
    return (line_end + 1, end) if end > line_end + 1 else None


def _near_label(text: str, at: int, token: bool) -> tuple[int, int, bool] | None:
    """A random-looking run close after a label with no separator ("token is X")."""
    window = text[at : at + _NEAR_LABEL]
    cut = window.find("\n")
    window = window if cut < 0 else window[:cut]
    found = _BASE64_RUN.search(window)
    if found is None:
        return None
    start = at + found.start()
    end = _piece_end(text, start)
    run = text[start:end]
    if not (_looks_random(run) and all(c in _BASE64 or c in INVISIBLE_CHARACTERS for c in run)):
        return None
    return start, end, token
