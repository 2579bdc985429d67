"""Reading the shared config and credentials files, safely and twice.

The SDK's view comes from botocore's own parser (``botocore.configloader``), so that
what keydoctor reports is what the SDK reads. Our own line scanner runs beside it for
what the parser hides: line numbers, raw values with their stray characters, duplicate
sections, CRLF line endings and byte-order marks. Nothing here ever raises on bad
input: problems are recorded in :attr:`SharedFile.problems` and become findings.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

# Above this size a file is unusual enough to mention (an INFO note), nothing more: botocore
# reads a config of ten thousand SSO profiles without complaint, so size alone is no fault.
MAX_FILE_BYTES = 1 << 20
# Our own line scanner stops reading here; botocore still parses the file, as the SDK would.
SCAN_LIMIT_BYTES = 64 << 20

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]*)\]\s*(?:[#;].*)?$")
_OPTION = re.compile(r"^(?P<key>[^=:\s][^=:]*?)\s*[=:](?P<value>.*)$")


@dataclass(frozen=True)
class RawEntry:
    """One ``key = value`` line as written, before any parser strips it."""

    section: str
    key: str
    raw_value: str  # everything after the '=' with the line ending removed
    line: int


@dataclass(frozen=True)
class RawSection:
    """A section header as written, with its line."""

    header: str  # the text between the brackets, unstripped
    line: int


@dataclass(frozen=True)
class FoldedLine:
    """An indented line that botocore's parser joins to the value above it.

    configparser treats a line that starts with a blank or a tab as the continuation of
    the previous value, so ``\taws_access_key_id = AKIA...`` under ``region = us-east-1``
    makes the region two lines long and leaves the key id unset.
    """

    section: str
    parent_key: str  # the key whose value swallows the line
    parent_line: int
    line: int
    key: str | None  # the setting the line was meant to be, when it reads as key = value
    indent: str  # the leading blanks and tabs, as written


@dataclass
class SharedFile:
    """One shared file (config or credentials) as found on disk."""

    kind: str  # "config" or "credentials"
    path: str
    env_var: str | None  # the variable that chose this path, if any
    exists: bool = False
    readable: bool = True
    size: int = 0
    mode: int | None = None
    dir_mode: int | None = None  # the mode of the folder that holds it (~/.aws)
    is_symlink: bool = False
    has_bom: bool = False
    has_crlf: bool = False
    text: str | None = None
    sections: list[RawSection] = field(default_factory=list)
    entries: list[RawEntry] = field(default_factory=list)
    folded: list[FoldedLine] = field(default_factory=list)
    # Raw values of folded lines that hold key material: they are in botocore's view of
    # another value (a region, say), so every message must treat them as secrets.
    folded_values: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one-line, already masked
    notes: list[str] = field(default_factory=list)  # worth saying, but no fault (size)
    parse_error: str | None = None  # why this file cannot be used (ours or botocore's)
    parsed: dict[str, Any] | None = None  # botocore's view: raw sections or profile map
    # What botocore itself does with this path: ``sdk_error`` is the one-line error it
    # raises (which stops every credential lookup), None when it reads the file or, as
    # for a directory, a missing path or an unreadable file, silently treats it as empty.
    sdk_error: str | None = None

    def entries_for(self, section: str) -> list[RawEntry]:
        return [e for e in self.entries if e.section == section]

    def line_of(self, section: str, key: str | None = None) -> int | None:
        if key is None:
            for s in self.sections:
                if s.header.strip() == section:
                    return s.line
            return None
        for e in self.entries:
            if e.section == section and e.key == key:
                return e.line
        return None


def default_paths(env: dict[str, str]) -> tuple[tuple[str, str | None], tuple[str, str | None]]:
    """The config and credentials paths botocore would use, and the variable that set them.

    botocore honours a variable as soon as it is *set*: ``AWS_CONFIG_FILE=`` (empty) points
    at no file at all rather than falling back to ``~/.aws/config``.
    """
    config = env.get("AWS_CONFIG_FILE")
    creds = env.get("AWS_SHARED_CREDENTIALS_FILE")
    config_path = (config, "AWS_CONFIG_FILE") if config is not None else ("~/.aws/config", None)
    creds_path = (
        (creds, "AWS_SHARED_CREDENTIALS_FILE")
        if creds is not None
        else ("~/.aws/credentials", None)
    )
    return config_path, creds_path


_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)


def expand(path: str, env: dict[str, str], variables: bool = True) -> str:
    """Expand a path as botocore does, but against the audited environment.

    botocore's ``raw_config_parse`` runs ``os.path.expandvars`` and then
    ``os.path.expanduser`` on the path; both read the process's environment, so here
    they are redone with ``env``: ``$NAME``/``${NAME}`` for set variables (others stay as
    written), then ``~`` (``HOME`` when it is set, even empty) and ``~user``.
    """
    if variables and "$" in path:

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip("{}") if match.group(1).startswith("{") else match.group(1)
            return env[name] if name in env else match.group(0)

        path = _VARIABLE.sub(substitute, path)
    if not path.startswith("~"):
        return path
    slash = path.find("/", 1)
    end = slash if slash != -1 else len(path)
    import pwd

    try:
        if end == 1:
            home = env["HOME"] if "HOME" in env else pwd.getpwuid(os.getuid()).pw_dir
        else:
            home = pwd.getpwnam(path[1:end]).pw_dir
    except KeyError:
        return path
    home = home.rstrip("/")
    return (home + path[end:]) or "/"


def load_shared_file(kind: str, path: str, env_var: str | None) -> SharedFile:
    """Read one shared file and record everything odd about it; never raises."""
    shared = SharedFile(kind=kind, path=path, env_var=env_var)
    try:
        shared.is_symlink = os.path.islink(path)
        st = os.stat(path)
    except FileNotFoundError:
        return shared
    except NotADirectoryError:
        shared.problems.append(f"{path}: a parent of this path is a file, not a folder")
        return shared
    except PermissionError:
        shared.exists = True
        shared.readable = False
        shared.problems.append(f"{path}: permission denied when reading its metadata")
        return shared
    except OSError as exc:
        shared.problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
        return shared
    shared.exists = True
    shared.mode = stat.S_IMODE(st.st_mode)
    try:
        shared.dir_mode = stat.S_IMODE(os.stat(os.path.dirname(os.path.abspath(path))).st_mode)
    except OSError:
        shared.dir_mode = None
    shared.size = st.st_size
    if stat.S_ISDIR(st.st_mode):
        shared.readable = False
        shared.problems.append(f"{path} is a directory, not a file")
        shared.parse_error = "is a directory"
        return shared
    if not stat.S_ISREG(st.st_mode):
        # a FIFO would block the read forever, a device never ends; botocore skips both
        shared.readable = False
        shared.problems.append(f"{path} is not a regular file (a pipe, socket or device)")
        shared.parse_error = "not a regular file"
        return shared
    if st.st_size > MAX_FILE_BYTES:
        shared.notes.append(
            f"{path} is {st.st_size / 1e6:.1f} MB, much larger than a usual {kind} file"
            + (
                f"; keydoctor's own line checks read only its first {SCAN_LIMIT_BYTES >> 20} MiB"
                if st.st_size > SCAN_LIMIT_BYTES
                else ""
            )
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(SCAN_LIMIT_BYTES)
        if st.st_size > SCAN_LIMIT_BYTES:
            data = data[: data.rfind(b"\n") + 1]  # whole lines only: no split character
    except PermissionError:
        shared.readable = False
        shared.problems.append(f"{path}: permission denied")
        shared.parse_error = "permission denied"
        return shared
    except OSError as exc:
        shared.readable = False
        shared.problems.append(f"{path}: cannot be read ({exc.strerror or exc})")
        shared.parse_error = str(exc.strerror or exc)
        return shared
    if b"\x00" in data:
        shared.readable = False
        shared.problems.append(f"{path} contains NUL bytes: it is a binary file, not INI text")
        shared.parse_error = "binary file"
        return shared
    if data.startswith(b"\xef\xbb\xbf"):
        shared.has_bom = True
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        shared.problems.append(
            f"{path} is not valid UTF-8 (byte {exc.start} is 0x{data[exc.start]:02x}); "
            "it was probably saved in another encoding"
        )
        shared.parse_error = "not UTF-8"
        text = data.decode("utf-8", errors="replace")
    shared.has_crlf = b"\r\n" in data
    shared.text = text
    _scan(shared, text)
    return shared


_KEY_MATERIAL_KEYS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
)


def _fold(
    shared: SharedFile, section: str, parent: RawEntry | None, number: int, line: str
) -> None:
    """Record an indented line that continues a value with text on its first line.

    A nested block (``s3 =`` with nothing after the ``=``, then indented lines) is
    botocore's documented sub-section form and is left alone.
    """
    if parent is None or not parent.raw_value.strip():
        return
    opt = _OPTION.match(line.lstrip(" \t"))
    key = opt.group("key").strip().lower() if opt else None
    shared.folded.append(
        FoldedLine(
            section=section,
            parent_key=parent.key,
            parent_line=parent.line,
            line=number,
            key=key,
            indent=line[: len(line) - len(line.lstrip(" \t"))],
        )
    )
    if opt and key is not None and key in _KEY_MATERIAL_KEYS and opt.group("value").strip():
        shared.folded_values.append(opt.group("value").strip().strip("'\""))


def _scan(shared: SharedFile, text: str) -> None:
    """Our own line scanner: headers, entries and raw values with line numbers."""
    section: str | None = None
    parent: RawEntry | None = None  # the last entry, whose value a continuation extends
    if text.startswith("\ufeff"):
        text = text[1:]
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue  # configparser keeps a value open across empty and comment lines
        if line[:1] in " \t" and section is not None and not _SECTION.match(line):
            # a continuation: a nested value (s3 = \n  addressing_style = path), or a
            # line the parser folds into the value above it
            _fold(shared, section, parent, number, line)
            continue
        match = _SECTION.match(line)
        if match:
            header = match.group("name")
            shared.sections.append(RawSection(header=header, line=number))
            section = header.strip()
            parent = None
            continue
        opt = _OPTION.match(line)
        if opt and section is not None:
            parent = RawEntry(
                section=section,
                key=opt.group("key").strip(),
                raw_value=opt.group("value"),
                line=number,
            )
            shared.entries.append(parent)


def parse_with_botocore(shared: SharedFile) -> None:
    """Fill ``parsed`` and ``sdk_error`` the way the SDK would see this file.

    For the credentials file that is ``raw_config_parse`` (sections as written); for the
    config file it is ``load_config`` (``[profile x]`` folded into profile names). The
    parser runs even on files our own reading found odd (binary, not UTF-8, unreadable):
    what matters for the chain is what botocore makes of them, and it is often more
    lenient than one would guess (an unreadable file is silently empty to it). Large
    files are parsed too: botocore reads them, so their size is no reason to fail them.
    """
    if not shared.exists:
        return
    from botocore import configloader
    from botocore.exceptions import BotoCoreError, ConfigNotFound

    try:
        if shared.kind == "credentials":
            shared.parsed = configloader.raw_config_parse(shared.path)
        else:
            shared.parsed = configloader.load_config(shared.path)
    except ConfigNotFound:
        return  # a directory, or a path whose folder cannot be entered: botocore skips it
    except BotoCoreError as exc:
        shared.sdk_error = _first_line(str(exc))
    except UnicodeDecodeError:
        shared.sdk_error = "not UTF-8"
    except (OSError, ValueError) as exc:  # configparser oddities surface as ValueError
        shared.sdk_error = _first_line(str(exc))
    if shared.sdk_error is not None:
        shared.parse_error = shared.sdk_error


def unfold(value: str) -> tuple[str, int]:
    """A value's first line, and how many lines botocore's parser folded into it.

    Folded lines can hold key material (an indented ``aws_access_key_id`` line under
    ``region``), so nothing that shows a value should show more than its first line.
    """
    if "\n" not in value:
        return value, 0
    first, *rest = value.split("\n")
    return first, len(rest)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"
