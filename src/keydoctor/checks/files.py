"""KD3xx: the shared config and credentials files as files: syntax, naming, encoding, mode."""

from __future__ import annotations

import os
import shlex
from collections import Counter
from collections.abc import Iterator

from keydoctor.checks.base import COMMAND, AuditContext, Rule, keydoctor_fix
from keydoctor.model import Category, Finding, Location, Severity
from keydoctor.shell import command
from keydoctor.sources.files import SharedFile

PROFILE_PREFIX_IN_CREDENTIALS = Rule(
    "KD301",
    "profile-prefix-in-credentials",
    Severity.HIGH,
    Category.CONFIG_MALFORMED,
    "[profile x] section in the credentials file",
    "The credentials file names sections plainly ([dev]); the 'profile ' prefix belongs to "
    "the config file only. botocore reads [profile dev] in the credentials file as a profile "
    "literally named 'profile dev', so profile dev has no keys.",
    remedy=keydoctor_fix("tidy", unsafe=True),
)
PLAIN_SECTION_IN_CONFIG = Rule(
    "KD302",
    "plain-section-in-config",
    Severity.HIGH,
    Category.CONFIG_MALFORMED,
    "[x] section without 'profile ' in the config file",
    "In ~/.aws/config every profile except default is written [profile x]. botocore ignores a "
    "plain [x] section there, so its region, role or SSO settings are never used.",
    remedy=keydoctor_fix("tidy", unsafe=True),
)
DUPLICATES = Rule(
    "KD303",
    "duplicate-section-or-key",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "Duplicate section or key",
    "The same section or the same key appears twice. botocore's parser refuses the whole file "
    "(ConfigParseError), so every profile in it stops working.",
    remedy=keydoctor_fix("tidy", unsafe=True),
)
FILE_PERMISSIONS = Rule(
    "KD304",
    "file-permissions",
    Severity.HIGH,
    Category.HYGIENE,
    "Credentials readable by other users",
    "The file is readable by the group or by everyone on this machine; anyone with a login "
    "can copy the keys.",
    remedy=keydoctor_fix("tidy"),
)
CRLF = Rule(
    "KD305",
    "crlf-line-endings",
    Severity.LOW,
    Category.CONFIG_MALFORMED,
    "Windows (CRLF) line endings",
    "botocore reads CRLF files fine, but shell tools that read the same file (grep, cut, "
    "`source`) keep the carriage return at the end of each value, which breaks the keys they "
    "export.",
    remedy=keydoctor_fix("tidy"),
)
BOM = Rule(
    "KD306",
    "byte-order-mark",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "Byte-order mark at the start of the file",
    "Editors such as Notepad save a UTF-8 byte-order mark. botocore then cannot see the first "
    "section header and refuses the file (ConfigParseError / MissingSectionHeaderError).",
    remedy=keydoctor_fix("tidy"),
)
UNPARSEABLE = Rule(
    "KD307",
    "file-unparseable",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "The file is not valid INI for botocore",
    "botocore's parser rejects the file, so no profile in it can be used.",
)
UNREADABLE = Rule(
    "KD308",
    "file-unreadable",
    Severity.CRITICAL,
    Category.CONFIG_MALFORMED,
    "The file cannot be read as a text file",
    "The file is binary, not UTF-8, far too large, a directory, or not readable by this user.",
)
VALUE_PADDING = Rule(
    "KD309",
    "value-padding-in-file",
    Severity.LOW,
    Category.SECRET_WRONG,
    "Whitespace around a credential value in the file",
    "botocore strips spaces around values, so the SDK works, but tools that read the file "
    "themselves (shell scripts, other SDKs' parsers, Redshift COPY strings built from it) "
    "keep them.",
    remedy=keydoctor_fix("tidy"),
)
MISSPELT_KEY = Rule(
    "KD310",
    "misspelt-key",
    Severity.HIGH,
    Category.CONFIG_MALFORMED,
    "A key name botocore does not know",
    "A key that looks like a credential setting but is spelt differently (aws_secret_key, "
    "aws_access_key) is silently ignored.",
)
SYMLINK = Rule(
    "KD311",
    "file-symlink",
    Severity.INFO,
    Category.HYGIENE,
    "The file is a symbolic link",
    "The SDK follows the link; worth knowing when edits seem to have no effect.",
)

FILE_WRITABLE = Rule(
    "KD312",
    "file-writable-by-others",
    Severity.CRITICAL,
    Category.HYGIENE,
    "A shared file writable by other users",
    "The config or credentials file can be written by its group or by everyone. Whoever can "
    "write it can add a credential_process line, which the SDK runs as you the next time it "
    "looks for credentials (code execution), or swap in keys of their own account.",
    remedy=COMMAND,
)
FOLDER_WRITABLE = Rule(
    "KD313",
    "folder-writable-by-others",
    Severity.CRITICAL,
    Category.HYGIENE,
    "The folder of the shared files writable by other users",
    "The folder holding the config or credentials file (~/.aws) can be written by its group "
    "or by everyone. Whoever can write the folder can replace either file with their own, "
    "including a credential_process line the SDK runs as you (code execution).",
    remedy=COMMAND,
)

FOLDED_LINE = Rule(
    "KD314",
    "indented-line-folded",
    Severity.HIGH,
    Category.CONFIG_MALFORMED,
    "An indented line is read as part of the value above it",
    "A line that starts with a blank or a tab continues the value on the line above it: "
    "botocore's parser (configparser) joins the two. An indented `aws_access_key_id = ...` "
    "under `region = us-east-1` leaves the key id unset and makes the region two lines "
    "long, so the SDK finds no credentials and builds no valid endpoint. Only a nested "
    "block (`s3 =` with nothing after the `=`, then indented lines) is meant to be "
    "indented. `keydoctor fix tidy --apply` removes the indentation of known settings.",
    remedy=keydoctor_fix("tidy"),
)
LARGE_FILE = Rule(
    "KD315",
    "large-file",
    Severity.INFO,
    Category.HYGIENE,
    "The file is unusually large",
    "botocore reads files of any size, so a large config (thousands of SSO profiles) "
    "works; the size is only worth knowing when reads seem slow or edits seem lost.",
)

# The `keydoctor fix` invocations the hints name, with exactly the flags they need:
# tidy's value cleaning is safe (--apply); renaming or merging sections can change which
# credentials are used, so it runs only with --unsafe.
TIDY_SAFE = keydoctor_fix("tidy").invocation()
TIDY_UNSAFE = keydoctor_fix("tidy", unsafe=True).invocation()

RULES = (
    PROFILE_PREFIX_IN_CREDENTIALS,
    PLAIN_SECTION_IN_CONFIG,
    DUPLICATES,
    FILE_PERMISSIONS,
    CRLF,
    BOM,
    UNPARSEABLE,
    UNREADABLE,
    VALUE_PADDING,
    MISSPELT_KEY,
    SYMLINK,
    FILE_WRITABLE,
    FOLDER_WRITABLE,
    FOLDED_LINE,
    LARGE_FILE,
)

_CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
# The settings botocore reads from a profile; `fix tidy` un-indents a folded line only
# when it names one of these, so a deliberate multi-line value is never touched.
KNOWN_KEYS = set(_CREDENTIAL_KEYS) | {
    "aws_security_token",
    "aws_account_id",
    "region",
    "output",
    "role_arn",
    "source_profile",
    "credential_source",
    "external_id",
    "mfa_serial",
    "role_session_name",
    "duration_seconds",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "sso_registration_scopes",
    "credential_process",
    "ca_bundle",
    "endpoint_url",
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
}


def _loc(
    shared: SharedFile, line: int | None = None, profile: str | None = None, key: str | None = None
) -> Location:
    return Location(kind="file", path=shared.path, line=line, profile=profile, key=key)


def _files(ctx: AuditContext) -> tuple[SharedFile, SharedFile]:
    return ctx.environment.config, ctx.environment.credentials


def check_unreadable(ctx: AuditContext) -> Iterator[Finding]:
    for shared in _files(ctx):
        if not shared.problems:
            continue
        variable = shared.env_var or (
            "AWS_CONFIG_FILE" if shared.kind == "config" else "AWS_SHARED_CREDENTIALS_FILE"
        )
        via = f" (chosen by {shared.env_var})" if shared.env_var else ""
        problems = "; ".join(shared.problems)
        if "permission denied" in problems:
            path = shlex.quote(shared.path)
            fix = (
                f'sudo chown "$(id -un)" {path} && chmod 600 {path}   (or run as '
                "the user who owns it)"
            )
        else:
            fix = (
                f"Recreate it as a small UTF-8 text file with aws configure, or point "
                f"{variable} at the right file."
            )
        yield UNREADABLE.finding(f"The {shared.kind} file{via}: {problems}.", fix, _loc(shared))


def _duplicates(shared: SharedFile) -> list[str]:
    found: list[str] = []
    headers = Counter(s.header.strip() for s in shared.sections)
    for name, count in headers.items():
        if count > 1:
            lines = [str(s.line) for s in shared.sections if s.header.strip() == name]
            found.append(f"section [{name}] appears {count} times (lines {', '.join(lines)})")
    keys = Counter((e.section, e.key.lower()) for e in shared.entries)
    for (section, key), count in keys.items():
        if count > 1:
            lines = [
                str(e.line) for e in shared.entries if e.section == section and e.key.lower() == key
            ]
            found.append(
                f"key {key} appears {count} times in [{section}] (lines {', '.join(lines)})"
            )
    return found


def _conflicting(shared: SharedFile) -> bool:
    """Whether a key is set twice in one section name with different values: the unsafe
    tidy merges duplicates only when none is (it will not choose a value)."""
    values: dict[tuple[str, str], set[str]] = {}
    for entry in shared.entries:
        key = (entry.section.strip(), entry.key.lower())
        values.setdefault(key, set()).add(entry.raw_value.strip().strip("'\""))
    return any(len(found) > 1 for found in values.values())


def check_syntax(ctx: AuditContext) -> Iterator[Finding]:
    for shared in _files(ctx):
        if not shared.exists or not shared.readable or shared.text is None:
            continue
        dups = _duplicates(shared)
        if dups:
            refused = shared.parse_error is not None
            yield DUPLICATES.finding(
                f"In {shared.path}: "
                + "; ".join(dups[:5])
                + "."
                + (" botocore refuses the file." if refused else ""),
                f"{TIDY_UNSAFE}   (merges the duplicates; they set nothing twice differently)"
                if not _conflicting(shared)
                else "Keep one copy of each section and key: a key is set twice with different "
                "values, and only you know which one is meant (then keydoctor fix tidy --apply "
                "--unsafe merges what is left).",
                _loc(shared, line=None),
                severity=None if refused else Severity.MEDIUM,
            )
        if shared.has_bom:
            yield BOM.finding(
                f"{shared.path} starts with a UTF-8 byte-order mark (EF BB BF)"
                + (", and botocore refuses it." if shared.parse_error else "."),
                f"{TIDY_SAFE}   (or save the file as UTF-8 without BOM)",
                _loc(shared, line=1),
                severity=None if shared.parse_error else Severity.LOW,
            )
        if shared.parse_error and not dups and not shared.has_bom and not shared.problems:
            yield UNPARSEABLE.finding(
                f"botocore cannot parse {shared.path}: {shared.parse_error}.",
                "Every line must be a [section] header, key = value, a comment (#) or an "
                "indented nested value; fix or remove the offending lines.",
                _loc(shared),
            )
        if shared.has_crlf:
            yield CRLF.finding(
                f"{shared.path} uses Windows line endings (CRLF).",
                f"{TIDY_SAFE}   (or: sed -i 's/\\r$//' " + shlex.quote(shared.path) + ")",
                _loc(shared),
            )


def check_section_names(ctx: AuditContext) -> Iterator[Finding]:
    config, creds = _files(ctx)
    chosen = ctx.resolution.profile
    for section in creds.sections:
        name = section.header.strip()
        if name.startswith("profile "):
            plain = name[len("profile ") :].strip()
            affects = plain == chosen
            yield PROFILE_PREFIX_IN_CREDENTIALS.finding(
                f"{creds.path} line {section.line} has [{name}]; botocore reads it as a profile "
                f"named '{name}', not '{plain}'."
                + (" This is the profile in use, so it has no keys." if affects else ""),
                f"{TIDY_UNSAFE}   (renames the header to [{plain}])",
                _loc(creds, section.line, plain),
                severity=None if affects else Severity.MEDIUM,
            )
    for section in config.sections:
        name = section.header.strip()
        if name == "default" or name.startswith(
            ("profile ", "sso-session ", "services ", "plugins", "preview")
        ):
            continue
        affects = name == chosen
        yield PLAIN_SECTION_IN_CONFIG.finding(
            f"{config.path} line {section.line} has [{name}]; in the config file botocore only "
            f"reads [profile {name}], so these settings are ignored."
            + (" This is the profile in use." if affects else ""),
            f"{TIDY_UNSAFE}   (renames the header to [profile {name}])",
            _loc(config, section.line, name),
            severity=None if affects else Severity.MEDIUM,
        )


def _writers(mode: int) -> str:
    return "everyone" if mode & 0o002 else "its group"


def check_writable(ctx: AuditContext) -> Iterator[Finding]:
    """Write bits for group or other, on either file (with or without keys) and on the
    folder that holds it: each lets another user plant a credential_process."""
    folders: set[str] = set()
    for shared in _files(ctx):
        if not shared.exists:
            continue
        if shared.mode is not None and shared.mode & 0o022:
            yield FILE_WRITABLE.finding(
                f"{shared.path} can be written by {_writers(shared.mode)} "
                f"(mode {shared.mode:04o}): another user can add a credential_process "
                "that runs as you.",
                command("chmod", "600", shared.path),
                _loc(shared),
            )
        folder = os.path.dirname(os.path.abspath(shared.path))
        # A sticky folder (/tmp) lets others add files but not replace this one.
        sticky = shared.dir_mode is not None and shared.dir_mode & 0o1000
        if (
            shared.dir_mode is not None
            and shared.dir_mode & 0o022
            and not sticky
            and folder not in folders
        ):
            folders.add(folder)
            yield FOLDER_WRITABLE.finding(
                f"{folder} can be written by {_writers(shared.dir_mode)} "
                f"(mode {shared.dir_mode:04o}): another user can replace {shared.path} "
                "with a file of their own.",
                command("chmod", "700", folder),
                Location(kind="file", path=folder),
            )


def check_permissions(ctx: AuditContext) -> Iterator[Finding]:
    for shared in _files(ctx):
        if not shared.exists or shared.mode is None:
            continue
        has_keys = any(e.key.lower() in _CREDENTIAL_KEYS for e in shared.entries)
        if not has_keys:
            continue
        if shared.mode & 0o044:
            who = "everyone" if shared.mode & 0o004 else "its group"
            yield FILE_PERMISSIONS.finding(
                f"{shared.path} holds keys and is readable by {who} (mode {shared.mode:04o}).",
                f"{TIDY_SAFE}   (or {command('chmod', '600', shared.path)})",
                _loc(shared),
            )
        if shared.is_symlink:
            yield SYMLINK.finding(
                f"{shared.path} is a symbolic link; the SDK reads its target.",
                "Nothing to fix; edit the target file.",
                _loc(shared),
            )


def check_values(ctx: AuditContext) -> Iterator[Finding]:
    for shared in _files(ctx):
        for entry in shared.entries:
            key = entry.key.lower()
            if key in _CREDENTIAL_KEYS:
                raw = entry.raw_value
                # One blank after '=' is the usual layout; a tab, or more than one blank,
                # is padding that other readers of the file keep.
                lead = raw[: len(raw) - len(raw.lstrip())]
                if raw.strip() and (raw.rstrip() != raw or lead not in ("", " ")):
                    trailing = raw.rstrip() != raw
                    yield VALUE_PADDING.finding(
                        f"{key} in [{entry.section}] has "
                        + ("trailing" if trailing else "extra leading")
                        + " whitespace in the file; botocore strips it, other readers may not.",
                        TIDY_SAFE,
                        _loc(shared, entry.line, entry.section, key),
                    )
            elif key not in KNOWN_KEYS and not key.startswith(("cli_", "s3", "sso_")):
                import difflib

                close = difflib.get_close_matches(key, _CREDENTIAL_KEYS, n=1, cutoff=0.7)
                if not close:
                    continue
                profile = entry.section.removeprefix("profile ").strip()
                affects = profile == ctx.resolution.profile
                yield MISSPELT_KEY.finding(
                    f"[{entry.section}] in {shared.path} has '{entry.key}', which botocore does "
                    f"not read; it expects '{close[0]}'.",
                    f"Rename the key to {close[0]} (line {entry.line}).",
                    _loc(shared, entry.line, profile, entry.key),
                    severity=None if affects else Severity.MEDIUM,
                )


def check_folded_lines(ctx: AuditContext) -> Iterator[Finding]:
    """KD314: indented lines that botocore joins to the value above them."""
    chosen = ctx.resolution.profile
    for shared in _files(ctx):
        for fold in shared.folded:
            profile = fold.section.removeprefix("profile ").strip()
            affects = profile == chosen
            blank = "a tab" if "\t" in fold.indent else "a blank"
            meant = f"the {fold.key} setting" if fold.key else "this line"
            yield FOLDED_LINE.finding(
                f"Line {fold.line} of {shared.path} starts with {blank}, so botocore reads "
                f"it as a continuation of {fold.parent_key} on line {fold.parent_line}: "
                f"{meant} is not set in [{fold.section}], and {fold.parent_key} becomes a "
                "value of several lines." + (" This is the profile in use." if affects else ""),
                f"{TIDY_SAFE}   (or remove the blanks at the start of line {fold.line})"
                if fold.key in KNOWN_KEYS
                else f"Remove the blanks at the start of line {fold.line}, or delete the line.",
                _loc(shared, fold.line, profile, fold.key),
                severity=None if affects else Severity.MEDIUM,
            )


def check_large(ctx: AuditContext) -> Iterator[Finding]:
    """KD315: a note, never a failure; botocore's own parse decides whether a file works."""
    for shared in _files(ctx):
        for note in shared.notes:
            yield LARGE_FILE.finding(
                f"{note}; botocore "
                + ("parses it." if shared.sdk_error is None else "cannot parse it (see KD307)."),
                "Nothing to fix while the SDK reads it.",
                _loc(shared),
            )


CHECKS = (
    check_unreadable,
    check_syntax,
    check_section_names,
    check_writable,
    check_permissions,
    check_values,
    check_folded_lines,
    check_large,
)
