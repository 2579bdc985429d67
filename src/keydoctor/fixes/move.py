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
from keydoctor.fixes.plan import FileWrite, Plan, Safety
from keydoctor.fixes.tidy import _fixed, clean_value
from keydoctor.redact import mask_key_id

KEY_NAMES = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token",
             "aws_security_token")


def _profile_of(header: str) -> str | None:
    parts = header.split()
    if parts == ["default"]:
        return "default"
    if len(parts) == 2 and parts[0] == "profile":
        return parts[1]
    return None


def plan_move_keys(config_path: str, credentials_path: str) -> Plan:
    plan = Plan("move-keys", Safety.SAFE,
                "move access keys from the config file to the credentials file")
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

    new_config, new_creds = config_text, creds_text
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
        config_match = ini.profile_matcher("config", profile)
        if existing:
            same = set(existing) <= set(values) and all(
                clean_value(k, existing.get(k, "")) == clean_value(k, v)
                for k, v in values.items()
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
            new_config = ini.remove_options(new_config, config_match, set(values))
            moved.append(f"profile {profile}: removed from {config_path} (the credentials "
                         "file already holds the same keys)")
            continue
        new_creds = ini.set_options(
            new_creds,
            creds_match,
            profile,
            {k: clean_value(k, v) for k, v in values.items()},
        )
        new_config = ini.remove_options(new_config, config_match, set(values))
        moved.append(f"profile {profile}: {', '.join(values)} moved to {credentials_path}")
    if not moved:
        return plan
    # The credentials file is written first: at every instant the keys exist somewhere.
    if new_creds != creds_text:
        plan.steps.append(FileWrite(credentials_path, creds_bytes, _fixed(new_creds), new_creds,
                                    mode=0o600, why="receives the keys"))
    plan.steps.append(FileWrite(config_path, config_bytes, _fixed(new_config), new_config,
                                why="keys removed"))
    plan.notes.extend(moved)
    return plan
