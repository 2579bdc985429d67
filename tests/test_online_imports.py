"""The online check stays light where nothing asks for more: no urllib3, no botocore client.

On a plain setup (static keys, ``--endpoint-url`` of a moto server) the probes ask over
``http.client`` and the network path section only names botocore's CA bundle; loading
``botocore.httpsession`` for that name brought urllib3 and botocore's utilities with it,
about a third of the check's CPU time (``bench/check_vs_cli.py`` measures; nothing here
is timed). The list of imported modules comes from ``python -X importtime``, whose lines
come from every thread, so modules the probes' threads load count too. The offline rules
and the probes' verdicts load after the probe runner, while the questions travel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from keydoctor.lab.emulator import Emulator
from keydoctor.probes.netpath import botocore_bundle, ca_bundle_for

# Modules the online check of a plain setup has no use for.
NOT_ON_THE_PLAIN_PATH = (
    "urllib3",
    "botocore.httpsession",
    "botocore.session",
    "botocore.client",
    "botocore.endpoint",
    "boto3",
    "keydoctor.probes.providers",
)


# ``-X importtime`` misses lines when a probe thread imports beside the main thread (its
# counters and its writes to sys.stderr are shared), so the child records, itself, the name
# of every module whose code finished running, in that order, under a lock, and writes the
# list once at exit.
_RECORDING = """
import atexit, importlib.machinery, runpy, sys, threading

done, lock = [], threading.Lock()
FILE_LOADERS = (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader,
                importlib.machinery.ExtensionFileLoader)

class Recorder:
    def find_spec(self, name, path, target=None):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if isinstance(loader, FILE_LOADERS):
            run = loader.exec_module
            def exec_module(module, run=run, name=name):
                run(module)
                with lock:
                    done.append(name)
            loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Recorder())
atexit.register(lambda: sys.__stderr__.write("".join(f"imported: {n}\\n" for n in done)))
sys.argv = ["keydoctor", *sys.argv[1:]]
runpy.run_module("keydoctor", run_name="__main__", alter_sys=True)
"""


def _imported(env: dict[str, str], *args: str) -> tuple[list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", _RECORDING, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    # in the order their imports finished
    names = [line.removeprefix("imported: ") for line in proc.stderr.splitlines()
             if line.startswith("imported: ")]
    assert "keydoctor.probes.runner" in names, "import record not understood"
    return names, proc.stdout


def test_online_check_of_static_keys_loads_no_http_stack_of_botocore(
    moto_server: Emulator, clean_env: dict[str, str]
) -> None:
    bucket = f"kd-light-{uuid.uuid4().hex[:8]}"
    moto_server.create_bucket(bucket, "us-east-1")
    keys = moto_server.create_user(
        f"light-{uuid.uuid4().hex[:8]}",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:*", "iam:Get*", "iam:List*", "sts:GetCallerIdentity"],
                    "Resource": "*",
                }
            ],
        },
    )
    aws = Path(clean_env["HOME"]) / ".aws"
    (aws / "credentials").write_text(
        f"[default]\naws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )
    (aws / "config").write_text("[default]\nregion = us-east-1\n")
    names, out = _imported(
        clean_env,
        "check",
        "--bucket",
        bucket,
        "--endpoint-url",
        moto_server.endpoint,
        "--format",
        "json",
    )
    # the check did ask, and the network path section is there
    document = json.loads(out)
    outcomes = {p["name"]: p["outcome"] for p in document["probes"]}
    assert outcomes["sts:GetCallerIdentity"] == "ok"
    assert outcomes[f"s3:HeadBucket {bucket}"] == "ok"
    assert [line["tls"] for line in document["network_path"]] == ["plain http"]
    loaded = sorted(
        n for n in names if any(n == f or n.startswith(f + ".") for f in NOT_ON_THE_PLAIN_PATH)
    )
    assert not loaded, f"the online check of static keys imported {loaded}"
    # The offline rules load once the questions are asked (run_probes' meanwhile), in the
    # main thread: after the probe runner, and not through a probe thread.
    assert names.index("keydoctor.checks") > names.index("keydoctor.probes.runner")
    assert names.index("keydoctor.probes.verdicts") > names.index("keydoctor.probes.runner")


def test_default_bundle_is_the_one_botocore_verifies_with() -> None:
    from botocore.httpsession import DEFAULT_CA_BUNDLE

    assert botocore_bundle() == DEFAULT_CA_BUNDLE
    assert os.path.isfile(botocore_bundle())
    assert ca_bundle_for({}, {}) == (DEFAULT_CA_BUNDLE, "botocore's default")
    assert ca_bundle_for({"REQUESTS_CA_BUNDLE": "/x.pem"}, {}) == ("/x.pem", "REQUESTS_CA_BUNDLE")
