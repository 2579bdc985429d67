"""The loopback metadata servers behave as AWS documents: botocore's own providers get
credentials from them, and moto's STS accepts those credentials.

botocore is the reference client here: if its ``ContainerProvider`` and
``InstanceMetadataProvider`` obtain working keys from these servers (and fail on the
broken modes the way they fail against AWS), the probes are tested against something
that speaks the services' real protocol.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from keydoctor.lab.emulator import Emulator
from keydoctor.lab.metadata import ServedKeys, container_endpoint, instance_metadata

TRUST = "arn:aws:iam::123456789012:user/{user}"

# Asks STS who the caller is with whatever botocore's default chain finds; prints the
# provider's method and the ARN, or the exception class.
WHO = """
import botocore.session, sys
session = botocore.session.get_session()
try:
    creds = session.get_credentials()
    if creds is None:
        print("none")
        sys.exit(0)
    sts = session.create_client("sts", region_name="us-east-1", endpoint_url=sys.argv[1])
    print(creds.method, sts.get_caller_identity()["Arn"])
except Exception as exc:
    print("error", type(exc).__name__)
"""


@pytest.fixture(scope="module")
def served(moto_server: Emulator) -> Iterator[ServedKeys]:
    """Temporary keys from moto's own STS (a role assumed by a user moto knows)."""
    user = moto_server.create_user(
        "metadata-user",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}],
        },
    )
    moto_server.client("iam").create_role(
        RoleName="metadata-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": TRUST.format(user=user.user)},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    creds = moto_server.client("sts", keys=user).assume_role(
        RoleArn="arn:aws:iam::123456789012:role/metadata-role", RoleSessionName="metadata"
    )["Credentials"]
    yield ServedKeys(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def _who(env: dict[str, str], endpoint: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", WHO, endpoint], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_container_endpoint_serves_keys_sts_accepts(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with container_endpoint(served, "Bearer-token-1") as server:
        env = dict(
            clean_env,
            AWS_CONTAINER_CREDENTIALS_FULL_URI=server.full_uri,
            AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer-token-1",
        )
        said = _who(env, moto_server.endpoint)
        assert server.requests[0]["authorization"] == "Bearer-token-1"
    assert said == "container-role arn:aws:sts::123456789012:assumed-role/metadata-role/metadata"


def test_container_endpoint_refuses_a_wrong_token(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with container_endpoint(served, "Bearer-token-1") as server:
        env = dict(
            clean_env,
            AWS_CONTAINER_CREDENTIALS_FULL_URI=server.full_uri,
            AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer-stale",
        )
        assert _who(env, moto_server.endpoint) == "error CredentialRetrievalError"


def test_imds_v2_serves_keys_sts_accepts(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with instance_metadata(served) as server:
        env = dict(clean_env, AWS_EC2_METADATA_SERVICE_ENDPOINT=server.endpoint)
        env.pop("AWS_EC2_METADATA_DISABLED")
        said = _who(env, moto_server.endpoint)
        assert server.puts == 1 and len(server.tokens) == 1
    assert said == "iam-role arn:aws:sts::123456789012:assumed-role/metadata-role/metadata"


def test_imds_hop_limit_gives_botocore_no_credentials(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    """The classic: the token PUT's answer never arrives, IMDSv1 is refused (tokens are
    required), and botocore ends with no credentials at all."""
    with instance_metadata(served, hop_limited=True) as server:
        env = dict(clean_env, AWS_EC2_METADATA_SERVICE_ENDPOINT=server.endpoint)
        env.pop("AWS_EC2_METADATA_DISABLED")
        said = _who(env, moto_server.endpoint)
        assert server.puts >= 1 and not server.tokens
    assert said == "none"


def test_imds_without_a_role_gives_no_credentials(
    moto_server: Emulator, served: ServedKeys, clean_env: dict[str, str]
) -> None:
    with instance_metadata(served, role=None) as server:
        env = dict(clean_env, AWS_EC2_METADATA_SERVICE_ENDPOINT=server.endpoint)
        env.pop("AWS_EC2_METADATA_DISABLED")
        said = _who(env, moto_server.endpoint)
        assert len(server.tokens) == 1
    assert said == "none"
