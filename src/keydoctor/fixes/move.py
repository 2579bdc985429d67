"""``move-keys``: access keys written in the config file move to the credentials file.

The config file is often shared, copied into bug reports and checked into dotfile
repositories; the credentials file is where the SDKs expect secrets. The move keeps the
same keys, so the SDK keeps using the same credentials: a safe fix. When the credentials
file already holds *different* keys for the profile, those win today and the config keys
are dead weight; removing them is left to the user (the plan says so) because keydoctor
cannot know which pair is the one meant.
"""

from __future__ import annotations

from collections.abc import Callable

from keydoctor.fixes import atomic, ini
from keydoctor.fixes.plan import FileWrite, Plan, RunState, Safety
from keydoctor.fixes.tidy import clean_value
from keydoctor.redact import mask_key_id

KEY_NAMES = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
)


def _profile_of(header: str) -> str | None:
    parts = header.split()
    if parts == ["default"]:
        return "default"
    if len(parts) == 2 and parts[0] == "profile":
        return parts[1]
    return None


# profile -> key -> every (line number, raw value) that sets it, in file order
KeyValues = dict[str, dict[str, list[tuple[int, str]]]]


def _key_values(lines: list[str], profile_of: Callable[[str], str | None]) -> KeyValues:
    """Every key setting of every profile, from all its sections, in one pass over the file."""
    found: KeyValues = {}
    for span in ini.spans(lines):
        profile = profile_of(span.header)
        if profile is None:
            continue
        keys = found.setdefault(profile, {})
        for index in range(span.start + 1, span.end):
            parsed = ini.option_at(lines[index])
            if parsed is None:
                continue
            key = ini.option_key(parsed[1])
            if key in KEY_NAMES:
                keys.setdefault(key, []).append((index + 1, parsed[2]))
    return found


def _conflict(found: dict[str, list[tuple[int, str]]]) -> tuple[str, list[int]] | None:
    """A key set more than once with different values, and the lines that set it.

    Moving one pair and removing every line would lose the other pair (it would live on
    only in a backup); keydoctor cannot know which one is meant, so it moves neither.
    """
    for key in KEY_NAMES:
        entries = found.get(key, [])
        if len({clean_value(key, value) for _, value in entries}) > 1:
            return key, [line for line, _ in entries]
    return None


def plan_move_keys(config_path: str, credentials_path: str) -> Plan:
    plan = Plan(
        "move-keys", Safety.SAFE, "move access keys from the config file to the credentials file"
    )
    try:
        config_bytes = atomic.read_bytes(config_path)
        creds_bytes = atomic.read_bytes(credentials_path)
    except OSError as exc:
        plan.notes.append(f"move-keys cannot read a shared file ({exc.strerror or exc})")
        return plan
    if config_bytes is None:
        return plan
    try:
        config_text = config_bytes.decode("utf-8")
    except UnicodeDecodeError:
        plan.notes.append(f"{config_path} is not UTF-8 text; move-keys left it alone")
        return plan
    try:
        creds_text = creds_bytes.decode("utf-8") if creds_bytes is not None else ""
    except UnicodeDecodeError:
        plan.notes.append(f"{credentials_path} is not UTF-8 text; move-keys left it alone")
        return plan

    additions: list[tuple[str, dict[str, str]]] = []  # profile -> keys for the credentials
    removals: list[tuple[str, set[str]]] = []  # profile -> keys leaving the config file
    moved: list[str] = []
    in_creds = _key_values(ini.split_lines(creds_text), lambda header: header.strip())
    for profile, found in _key_values(ini.split_lines(config_text), _profile_of).items():
        if not found:
            continue
        repeated = _conflict(found)
        if repeated is not None:
            key, lines = repeated
            plan.notes.append(
                f"profile {profile}: {config_path} sets {key} more than once with different "
                f"values (lines {', '.join(map(str, lines))}); not moved, nothing removed. "
                "Keep the pair you use, delete the other, then run move-keys again"
            )
            continue
        values = {key: entries[0][1] for key, entries in found.items()}
        existing = {k: entries[0][1] for k, entries in in_creds.get(profile, {}).items()}
        if existing:
            same = set(existing) <= set(values) and all(
                clean_value(k, existing.get(k, "")) == clean_value(k, v) for k, v in values.items()
            )
            if not same:
                theirs = mask_key_id(clean_value(KEY_NAMES[0], existing.get(KEY_NAMES[0], "")))
                ours = mask_key_id(clean_value(KEY_NAMES[0], values.get(KEY_NAMES[0], "")))
                plan.notes.append(
                    f"profile {profile}: the credentials file already holds other keys "
                    f"({theirs}), which win over the config file's ({ours}); not moved. "
                    f"Delete the pair you do not use from {config_path}"
                )
                continue
            removals.append((profile, set(values)))
            moved.append(
                f"profile {profile}: removed from {config_path} (the credentials "
                "file already holds the same keys)"
            )
            continue
        additions.append((profile, {k: clean_value(k, v) for k, v in values.items()}))
        removals.append((profile, set(values)))
        moved.append(f"profile {profile}: {', '.join(values)} moved to {credentials_path}")
    if not moved:
        return plan

    def add_keys(text: str, _state: RunState) -> str:
        for profile, values in additions:
            text = ini.set_options(
                text, ini.profile_matcher("credentials", profile), profile, values
            )
        return text

    def remove_keys(text: str, _state: RunState) -> str:
        for profile, keys in removals:
            text = ini.remove_options(text, ini.profile_matcher("config", profile), keys)
        return text

    # The credentials file is written first: at every instant the keys exist somewhere.
    new_creds = add_keys(creds_text, RunState())
    if new_creds != creds_text:
        plan.steps.append(
            FileWrite(
                credentials_path,
                creds_bytes,
                add_keys,
                new_creds,
                mode=0o600,
                why="receives the keys",
            )
        )
    plan.steps.append(
        FileWrite(
            config_path,
            config_bytes,
            remove_keys,
            remove_keys(config_text, RunState()),
            why="keys removed",
        )
    )
    plan.notes.extend(moved)
    return plan
