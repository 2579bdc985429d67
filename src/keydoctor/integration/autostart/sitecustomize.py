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


def _keydoctor_start() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    if os.environ.get("KEYDOCTOR_HOOK", "1") != "0":
        try:
            from keydoctor.integration.hook import install_on_import

            install_on_import(probe=os.environ.get("KEYDOCTOR_PROBE") == "1")
        except Exception as exc:  # keydoctor missing from this interpreter: run anyway
            sys.stderr.write(f"keydoctor: hook not installed ({type(exc).__name__}: {exc})\n")
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)


_keydoctor_start()
