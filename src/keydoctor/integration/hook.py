"""Put keydoctor's diagnosis into the exception, where the error happens.

How it attaches to botocore, and why this way:

* ``creating-client-class`` is botocore's documented event for extending client
  classes (boto3 uses it to add ``upload_file``): our handler inserts a small mixin
  first in the client's bases. Its ``_make_api_call`` is a ``try`` around botocore's own;
  on success it only returns (a ``try`` costs nothing in Python 3.11+, one extra frame
  is the whole overhead), on a diagnosable failure it adds one ``keydoctor:`` line to
  the message and the :class:`~keydoctor.integration.diagnosis.Diagnosis` as
  ``exc.keydoctor``, then re-raises the *same* exception object with a bare ``raise``:
  type, code, ``response`` and traceback are unchanged, so ``except ClientError`` and
  ``exc.response["Error"]["Code"]`` work as before.
* Some errors happen before a client exists (``NoRegionError``, ``ProfileNotFound``,
  ``PartialCredentialsError`` from ``create_client``): ``Session.create_client`` is
  wrapped for them: for one session on that session object, globally on the class.
  The global wrapper also registers the event handler on each session it sees, so
  every session, new or old, gets the hook on its next client.

Nothing here may raise into botocore: every diagnosis step is guarded, and a failure
to diagnose leaves the original exception exactly as it was.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from typing import Any

from keydoctor.integration import clientfacts
from keydoctor.integration.classify import error_facts, is_diagnosable

_UNIQUE_ID = "keydoctor-diagnosis-hook"
_EVENT = "creating-client-class"
_ORIGINAL_MESSAGE = "_keydoctor_original_message"


class _State:
    """Module state: whether the hook is on, and what to undo on uninstall."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.global_on = False
        self.probe = False
        self.originals: dict[str, Any] = {}  # botocore Session methods we wrapped
        self.sessions: weakref.WeakSet[Any] = weakref.WeakSet()  # sessions with our handler


STATE = _State()


# -- the exception ----------------------------------------------------------------------
def annotate(exc: BaseException, diagnosis: Any) -> None:
    """Add the ``keydoctor:`` line to ``exc``'s message and the diagnosis as an attribute.

    The message is changed through ``args`` (what ``str()`` shows for botocore's
    exceptions); pickling is unaffected, as botocore's ``__reduce__`` rebuilds from the
    response and keyword arguments, not from ``args``.
    """
    if getattr(exc, "keydoctor", None) is not None or not diagnosis.found:
        return
    original = str(exc)
    try:
        exc.keydoctor = diagnosis  # type: ignore[attr-defined]
        setattr(exc, _ORIGINAL_MESSAGE, original)
    except (AttributeError, TypeError):  # an exception type with __slots__: leave it be
        return
    line = diagnosis.summary()
    if len(exc.args) <= 1:
        exc.args = (f"{original}\n{line}",)
    else:
        exc.args = (*exc.args, line)


_GUARD = threading.local()  # no diagnosis inside a diagnosis (the probe makes calls)


def _diagnose_failed_call(client: Any, operation: str, exc: BaseException) -> None:
    """Everything that happens after a call failed; swallows its own problems."""
    if getattr(_GUARD, "active", False):
        return
    _GUARD.active = True
    try:
        _diagnose_failed_call_unguarded(client, operation, exc)
    finally:
        _GUARD.active = False


def _diagnose_failed_call_unguarded(client: Any, operation: str, exc: BaseException) -> None:
    try:
        if getattr(exc, "keydoctor", None) is not None or not is_diagnosable(exc):
            return
        from keydoctor.integration.diagnosis import build

        session_ref = getattr(type(client), "_keydoctor_session", None)
        session = session_ref() if session_ref is not None else None
        if not STATE.global_on and (session is None or session not in STATE.sessions):
            return  # uninstalled since this client was made
        facts = clientfacts.from_client(client, operation, session)
        probe = None
        if STATE.probe or getattr(type(client), "_keydoctor_probe", False):
            from keydoctor.integration.probe import identity_probe

            probe = identity_probe(facts)
        diagnosis = build(error_facts(exc), facts, audit=True, probe=probe)
        annotate(exc, diagnosis)
    except Exception:  # the diagnosis is a courtesy: never replace the real error
        return


def _diagnose_failed_create(
    session: Any, args: tuple[Any, ...], kwargs: dict[str, Any], exc: BaseException
) -> None:
    if getattr(_GUARD, "active", False):
        return
    _GUARD.active = True
    try:
        _diagnose_failed_create_unguarded(session, args, kwargs, exc)
    finally:
        _GUARD.active = False


def _diagnose_failed_create_unguarded(
    session: Any, args: tuple[Any, ...], kwargs: dict[str, Any], exc: BaseException
) -> None:
    try:
        if getattr(exc, "keydoctor", None) is not None or not is_diagnosable(exc):
            return
        from keydoctor.integration.diagnosis import build

        service = kwargs.get("service_name", args[0] if args else None)
        region = kwargs.get("region_name", args[1] if len(args) > 1 else None)
        facts = clientfacts.from_session(
            session,
            service=service if isinstance(service, str) else None,
            region=region if isinstance(region, str) else None,
        )
        annotate(exc, build(error_facts(exc), facts, audit=True))
    except Exception:
        return


class DiagnosingClientMixin:
    """First base of every hooked client class; see the module docstring."""

    _keydoctor_session: Any = None  # weakref to the botocore session, set per class
    _keydoctor_probe: bool = False

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> Any:
        try:
            return super()._make_api_call(operation_name, api_params)  # type: ignore[misc]
        except Exception as exc:
            _diagnose_failed_call(self, operation_name, exc)
            raise


def _make_handler(session: Any, probe: bool) -> Any:
    session_ref = weakref.ref(session)

    def add_mixin(class_attributes: dict[str, Any], base_classes: list[type], **_: Any) -> None:
        try:
            if DiagnosingClientMixin not in base_classes:
                base_classes.insert(0, DiagnosingClientMixin)
            class_attributes["_keydoctor_session"] = session_ref
            class_attributes["_keydoctor_probe"] = probe
        except Exception:
            return

    return add_mixin


def _botocore_session(session: Any) -> Any:
    """A botocore session from a boto3 or botocore session object."""
    inner = getattr(session, "_session", None)
    if inner is not None and hasattr(inner, "register"):
        return inner
    if hasattr(session, "register") and hasattr(session, "create_client"):
        return session
    raise TypeError(f"not a boto3 or botocore session: {type(session).__name__}")


def _register(session: Any, probe: bool) -> None:
    session.register(_EVENT, _make_handler(session, probe), unique_id=_UNIQUE_ID)
    STATE.sessions.add(session)


# -- install / uninstall -----------------------------------------------------------------
def install(session: Any = None, *, probe: bool = False) -> None:
    """Turn on the diagnosis for one session, or for every botocore session.

    With ``session`` (a ``boto3.Session`` or ``botocore.session.Session``), clients that
    session creates from now on are hooked. Without it, every session is: existing
    ones on their next ``create_client``, new ones from the start (this is what
    ``keydoctor run`` and the ``sitecustomize`` do). Calling it twice is harmless.

    ``probe=True`` also asks AWS who the failing credentials belong to (STS
    GetCallerIdentity, same endpoint, two-second timeout) before diagnosing; otherwise
    no network call is ever made by keydoctor.
    """
    if session is not None:
        core = _botocore_session(session)
        with STATE.lock:
            if core in STATE.sessions:
                core.unregister(_EVENT, unique_id=_UNIQUE_ID)
            _register(core, probe)
            if "create_client" not in vars(core):
                bound = type(core).create_client.__get__(core)
                core.create_client = _wrap_create_client(bound, core)
        return
    import importlib

    # By module name, not attribute: this may run while botocore.session is still
    # being imported (install on import), before it is set on the botocore package.
    session_module = importlib.import_module("botocore.session")
    with STATE.lock:
        STATE.probe = probe
        if STATE.global_on:
            return
        cls = session_module.Session
        STATE.originals = {name: getattr(cls, name) for name in _SESSION_METHODS}
        cls.create_client = _global_create_client(STATE.originals["create_client"])
        cls.get_scoped_config = _global_scoped_config(STATE.originals["get_scoped_config"])
        STATE.global_on = True


# Session methods wrapped by the global install: client creation (NoRegionError,
# PartialCredentialsError ...) and the profile lookup (ProfileNotFound, which boto3
# already meets in ``boto3.Session()``).
_SESSION_METHODS = ("create_client", "get_scoped_config")


def _global_create_client(original: Any) -> Any:
    @functools.wraps(original)
    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self not in STATE.sessions:
            with contextlib.suppress(Exception):
                _register(self, False)
        try:
            return original(self, *args, **kwargs)
        except Exception as exc:
            _diagnose_failed_create(self, args, kwargs, exc)
            raise

    return create_client


def _global_scoped_config(original: Any) -> Any:
    @functools.wraps(original)
    def get_scoped_config(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except Exception as exc:
            _diagnose_failed_create(self, (), {}, exc)
            raise

    return get_scoped_config


def _wrap_create_client(bound: Any, session: Any) -> Any:
    session_ref = weakref.ref(session)

    @functools.wraps(bound)
    def create_client(*args: Any, **kwargs: Any) -> Any:
        try:
            return bound(*args, **kwargs)
        except Exception as exc:
            _diagnose_failed_create(session_ref(), args, kwargs, exc)
            raise

    create_client._keydoctor_wrapper = True  # type: ignore[attr-defined]
    return create_client


def uninstall(session: Any = None) -> None:
    """Undo :func:`install` (for one session, or everywhere).

    Clients created while the hook was on keep their mixin, but it stays silent: it
    only diagnoses while the hook is installed for their session or globally.
    """
    import botocore.session

    with STATE.lock:
        targets = [_botocore_session(session)] if session is not None else list(STATE.sessions)
        for core in targets:
            with contextlib.suppress(Exception):
                core.unregister(_EVENT, unique_id=_UNIQUE_ID)
            wrapper = vars(core).get("create_client")
            if getattr(wrapper, "_keydoctor_wrapper", False):
                del core.create_client
            STATE.sessions.discard(core)
        if session is None and STATE.global_on:
            for name, original in STATE.originals.items():
                setattr(botocore.session.Session, name, original)
            STATE.originals = {}
            STATE.global_on = False
            STATE.probe = False


def is_installed(session: Any = None) -> bool:
    """Whether the hook is on globally, or for ``session``."""
    if session is None:
        return STATE.global_on
    try:
        return _botocore_session(session) in STATE.sessions
    except TypeError:
        return False


# -- install on first import of botocore (for keydoctor run) -----------------------------
class _InstallOnImport:
    """A meta path finder that calls :func:`install` once ``botocore.session`` is loaded.

    ``keydoctor run`` starts every Python process of the program with the hook, but a
    process that never uses botocore should not pay for importing it; this finder waits
    for the program's own import, lets it finish, then installs.
    """

    def __init__(self, probe: bool) -> None:
        self.probe = probe

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "botocore.session":
            return None
        import importlib.machinery
        import sys

        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        probe = self.probe
        original_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec(module)
            try:
                sys.modules[name] = module  # install() imports it by name
                install(probe=probe)
            except Exception:
                pass

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install_on_import(*, probe: bool = False) -> None:
    """:func:`install` now if botocore is loaded, else as soon as the program loads it."""
    import sys

    if "botocore.session" in sys.modules:
        install(probe=probe)
        return
    if not any(isinstance(f, _InstallOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _InstallOnImport(probe))
