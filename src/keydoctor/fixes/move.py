"""``move-keys``: access keys written in the config file move to the credentials file.

The config file is often shared, copied into bug reports and checked into dotfile
repositories; the credentials file is where the SDKs expect secrets. The move keeps the
same keys, so the SDK keeps using the same credentials: a safe fix. When the credentials
file already holds *different* keys for the profile, those win today and the config keys
are dead weight; removing them is left to the user (the plan says so) because keydoctor
cannot know which pair is the one meant.
"""

from __future__ import annotations

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
    for span in ini.spans(ini.split_lines(config_text)):
        profile = _profile_of(span.header)
        if profile is None:
            continue
        values = {k: v for k, v in ini.section_options(config_text, span) if k in KEY_NAMES}
        if not values:
            continue
        creds_match = ini.profile_matcher("credentials", profile)
        existing: dict[str, str] = {}
        for key in KEY_NAMES:
            found = ini.get_option(creds_text, creds_match, key)
            if found is not None:
                existing[key] = found
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
