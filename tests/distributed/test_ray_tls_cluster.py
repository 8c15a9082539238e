"""The direct link on a two-node Ray cluster started with Ray's TLS on (RAY_USE_TLS=1 and its files).

A cluster of its own (a throwaway CA and one node certificate naming 127.0.0.1, as Ray's channels
check it), in a loopback-only namespace like tests/distributed/test_ray_cluster.py's; the test inside
(cluster_tests/tls_cluster_link.py) checks that Ray's head node speaks TLS, that a runtime's sends go
over the link with both ends in TLS, and that a plaintext peer is never admitted.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from flowgen.testing.ray_cluster import namespace_unavailable, run_on_local_cluster
from flowgen.testing.throwaway_tls import make_authority, make_node_files

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[2]
INNER = Path(__file__).parent / "cluster_tests"


def test_the_link_speaks_mutual_tls_on_a_cluster_running_ray_with_tls(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    reason = namespace_unavailable()
    if reason is not None:
        pytest.skip(f"the Ray cluster tests need a loopback-only network namespace: {reason}")
    pytest.importorskip("ray", reason="the `ray` extra is not installed: pip install -e '.[ray]'")
    workdir = tmp_path_factory.mktemp("tls")  # short: Ray's socket paths under it must fit 107 bytes
    ca = make_authority(workdir, "cluster-ca")
    cert, key = make_node_files(workdir, "node", ca, ip_san=True)
    junit = workdir / "junit.xml"
    done = run_on_local_cluster(
        [sys.executable, "-m", "pytest", str(INNER), "-o", "python_files=tls_cluster_*.py",
         "-p", "no:cacheprovider", "-q", f"--junitxml={junit}"],
        workdir=workdir,
        pythonpath=[str(ROOT), str(INNER)],
        env={
            "FLOWGEN_IN_RAY_CLUSTER": "1",
            "RAY_USE_TLS": "1",
            "RAY_TLS_SERVER_CERT": str(cert),
            "RAY_TLS_SERVER_KEY": str(key),
            "RAY_TLS_CA_CERT": str(ca.path),
        },
        timeout=300,
    )  # fmt: skip
    assert junit.exists(), (
        f"the cluster run produced no results (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    cases = list(ElementTree.parse(junit).getroot().iter("testcase"))
    assert [case.attrib["name"] for case in cases] == ["test_the_link_speaks_mutual_tls_on_a_tls_cluster"]
    problem = cases[0].find("failure")
    if problem is None:
        problem = cases[0].find("error")
    assert problem is None, problem.text or problem.attrib["message"]
    assert done.returncode == 0, done.stdout
