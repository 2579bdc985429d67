"""Start one moto server (IAM authentication enforced, admin keys made) and keep it up.

Prints ``endpoint,admin-key-id,admin-secret`` on its first line; give that line to the
tests as ``KEYDOCTOR_TEST_MOTO`` so that a mutation run (one pytest run per mutant) uses
this server instead of starting one per run (see docs/mutation.md). Stop it with Ctrl-C.

    python bench/moto_once.py > moto.line &
    KEYDOCTOR_TEST_MOTO=$(head -1 moto.line) mutmut run --max-children 2
"""

from __future__ import annotations

import time

from keydoctor.lab.emulator import Emulator


def main() -> None:
    emulator = Emulator.start_subprocess()
    try:
        admin = emulator.create_admin()
        emulator.enforce_auth()
        print(f"{emulator.endpoint},{admin.access_key_id},{admin.secret_access_key}", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
