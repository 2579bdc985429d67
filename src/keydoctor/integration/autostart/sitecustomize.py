"""Start-up module for programs run by ``keydoctor run`` (see the package docstring).

Order matters: first leave ``sys.path`` as the program expects it (this directory
removed), then arm keydoctor's hook (it installs once botocore is imported, so a process
that never uses AWS pays nothing), then run the ``sitecustomize`` that this one hides,
so an environment's own start-up code still runs, with its own errors reported by
``site`` exactly as they would be without keydoctor.
"""

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable
from types import TracebackType


def _keydoctor_start() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    if os.environ.get("KEYDOCTOR_HOOK", "1") != "0":
        try:
            from keydoctor.integration.hook import install_on_import

            install_on_import(probe=os.environ.get("KEYDOCTOR_PROBE") == "1")
            sys.excepthook = _with_diagnosis(sys.excepthook)
        except Exception as exc:  # keydoctor missing from this interpreter: run anyway
            sys.stderr.write(f"keydoctor: hook not installed ({type(exc).__name__}: {exc})\n")
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)


def _with_diagnosis(
    previous: Callable[[type[BaseException], BaseException, TracebackType | None], object],
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """An excepthook that prints the traceback as before, then keydoctor's diagnosis.

    The section is the pytest plugin's (``keydoctor.integration.section``): the same
    ranked causes and the same local audit findings for the same failure, whether it
    ends a test or a program run under ``keydoctor run``.
    """

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        previous(exc_type, exc, tb)
        try:
            from keydoctor.integration.section import SECTION, section_text

            text = section_text(exc)
            if text:
                sys.stderr.write(f"\n--- {SECTION} ---\n{text}\n")
                sys.stderr.flush()
        except Exception:  # the diagnosis is a courtesy: never hide the real error
            return

    return hook


_keydoctor_start()
