"""TLS on the direct link, over real sockets on 127.0.0.1 (no Ray), with a throwaway CA made here.

As on a cluster running Ray with TLS, the server and its clients use the same certificate and key,
signed by the cluster's CA; peers with no certificate, one from another CA, or no TLS at all are
refused while the server keeps serving the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from flowgen.distributed.frames import encode_batch
from flowgen.distributed.link import Link
from flowgen.distributed.link_server import LinkServer
from flowgen.distributed.link_tls import LinkTls, link_tls_from_env
from flowgen.distributed.outbox import Outbox
from flowgen.errors import LinkTlsError
from flowgen.testing.throwaway_tls import make_authority, make_node_files
from tests.distributed.test_link import Handlers, RayCalls, envelope, queued, unavailable

Address = tuple[str, int, bytes]


@dataclass
class Pki:
    cluster: LinkTls  # what every node and the driver of the cluster has
    cluster_with_ip: LinkTls  # a node certificate naming 127.0.0.1
    stranger: LinkTls  # a certificate from another CA, trusting that CA
    stranger_trusting_cluster: LinkTls  # another CA's certificate, trusting the cluster's CA


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    cluster_ca = make_authority(folder, "cluster-ca")
    other_ca = make_authority(folder, "other-ca")
    cert, key = make_node_files(folder, "node", cluster_ca)
    ip_cert, ip_key = make_node_files(folder, "node-ip", cluster_ca, ip_san=True)
    other_cert, other_key = make_node_files(folder, "stranger", other_ca)
    return Pki(
        cluster=LinkTls(str(cert), str(key), str(cluster_ca.path)),
        cluster_with_ip=LinkTls(str(ip_cert), str(ip_key), str(cluster_ca.path), check_hostname=True),
        stranger=LinkTls(str(other_cert), str(other_key), str(other_ca.path)),
        stranger_trusting_cluster=LinkTls(str(other_cert), str(other_key), str(cluster_ca.path)),
    )


@pytest_asyncio.fixture
async def tls_server(pki: Pki) -> AsyncIterator[tuple[LinkServer, Handlers, Address]]:
    handlers = Handlers()
    link_server = LinkServer(handlers)
    address = await link_server.open("127.0.0.1", pki.cluster.server_context())
    yield link_server, handlers, address
    await link_server.close()


async def open_tls_link(address: Address, tls: LinkTls, lost: list[Link] | None = None) -> Link:
    host, port, token = address
    return await Link.open(
        host, port, token, unavailable, (lost if lost is not None else []).append, tls.client_context()
    )


async def answered(link: Link, text: str, message_id: str) -> bytes:
    batch = [queued(text, message_id)]
    assert link.send(batch)
    return (await batch[0][1])["body"]["payload"]


async def test_batches_are_answered_over_a_tls_link(
    pki: Pki, tls_server: tuple[LinkServer, Handlers, Address]
) -> None:
    link_server, _, address = tls_server
    link = await open_tls_link(address, pki.cluster)
    batch = [queued(f"m{i}", f"id{i}") for i in range(3)]
    assert link.send(batch)
    outcomes = await asyncio.gather(*(future for _, future, _ in batch))
    assert [o["body"]["payload"] for o in outcomes] == [b'"m0"', b'"m1"', b'"m2"']
    assert await answered(link, "again", "id3") == b'"again"'
    assert link_server.counts == {"envelopes": 4, "connections": 1, "refused": 0}
    await link.close()


async def test_a_client_without_a_certificate_is_refused_and_others_still_served(
    pki: Pki, tls_server: tuple[LinkServer, Handlers, Address]
) -> None:
    link_server, handlers, (host, port, token) = tls_server
    no_cert = ssl.create_default_context(cafile=pki.cluster.ca)  # trusts the server, shows nothing
    no_cert.check_hostname = False
    with pytest.raises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)):
        # With TLS 1.3 the client's side of the handshake may finish first: the refusal then comes
        # as an alert on the first read, before anything is answered.
        reader, writer = await asyncio.open_connection(host, port, ssl=no_cert)
        try:
            writer.write(token + encode_batch(0, [envelope("x", "sneaky")]))
            assert await reader.readexactly(1) == b""
        finally:
            writer.close()
    assert handlers.started == []
    good = await open_tls_link((host, port, token), pki.cluster)
    assert await answered(good, "still here", "ok") == b'"still here"'
    assert link_server.counts["connections"] == 1
    await good.close()


async def test_a_client_certificate_from_another_ca_is_refused(
    pki: Pki, tls_server: tuple[LinkServer, Handlers, Address]
) -> None:
    link_server, handlers, address = tls_server
    lost: list[Link] = []
    try:
        stranger = await open_tls_link(address, pki.stranger_trusting_cluster, lost)
    except (ssl.SSLError, ConnectionError):
        pass  # refused during the handshake (TLS 1.2)
    else:  # TLS 1.3: refused by an alert after the client's side finished; nothing is answered
        batch = [queued("x", "sneaky")]
        assert stranger.send(batch)
        with pytest.raises(ConnectionAbortedError, match="echo/a"):
            await batch[0][1]
        assert lost == [stranger]
        await stranger.close()
    assert handlers.started == []
    good = await open_tls_link(address, pki.cluster)
    assert await answered(good, "still here", "ok") == b'"still here"'
    assert link_server.counts["connections"] == 1
    await good.close()


async def test_a_server_certificate_from_another_ca_is_refused_by_the_client(pki: Pki) -> None:
    handlers = Handlers()
    impostor = LinkServer(handlers)
    address = await impostor.open("127.0.0.1", pki.stranger.server_context())
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            await open_tls_link(address, pki.cluster)  # the token is never sent to it
        assert impostor.counts["connections"] == 0
    finally:
        await impostor.close()


async def test_a_plaintext_client_is_refused_by_a_tls_server(
    pki: Pki, tls_server: tuple[LinkServer, Handlers, Address]
) -> None:
    link_server, handlers, (host, port, token) = tls_server
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(token + encode_batch(0, [envelope("x", "sneaky")]))
    try:
        reply = await reader.read()  # until the server closes: at most a TLS alert, never a frame
    except ConnectionResetError:
        reply = b""
    writer.close()
    assert not reply or reply[0] == 0x15  # empty, or a TLS alert record
    assert handlers.started == [] and link_server.counts["connections"] == 0
    good = await open_tls_link((host, port, token), pki.cluster)
    assert await answered(good, "still here", "ok") == b'"still here"'
    await good.close()


async def test_hostname_checking_when_asked_for(pki: Pki) -> None:
    """Off by default (node certificates often do not name the IP dialled); on, the name must match."""
    handlers = Handlers()
    named = LinkServer(handlers)
    address = await named.open("127.0.0.1", pki.cluster_with_ip.server_context())
    unnamed = LinkServer(Handlers())
    other = await unnamed.open("127.0.0.1", pki.cluster.server_context())
    try:
        link = await open_tls_link(address, pki.cluster_with_ip)  # the certificate names 127.0.0.1
        assert await answered(link, "named", "n") == b'"named"'
        await link.close()
        with pytest.raises(ssl.SSLCertVerificationError, match=r"IP address mismatch|hostname"):
            await open_tls_link(other, pki.cluster_with_ip)
        default = await open_tls_link(other, pki.cluster)  # the chain is checked, not the name
        assert await answered(default, "chain", "c") == b'"chain"'
        await default.close()
    finally:
        await named.close()
        await unnamed.close()


# ---------------------------------------------------------------- the settings, from Ray's variables


def test_tls_follows_rays_variables(pki: Pki) -> None:
    files = {"RAY_TLS_SERVER_CERT": pki.cluster.cert, "RAY_TLS_SERVER_KEY": pki.cluster.key}
    files["RAY_TLS_CA_CERT"] = pki.cluster.ca
    assert link_tls_from_env({}) is None
    assert link_tls_from_env({"RAY_USE_TLS": "0", **files}) is None
    for on in ("1", "true", "True"):
        assert link_tls_from_env({"RAY_USE_TLS": on, **files}) == pki.cluster


def test_tls_on_with_a_variable_unset_names_it(pki: Pki) -> None:
    env = {"RAY_USE_TLS": "1", "RAY_TLS_SERVER_CERT": pki.cluster.cert, "RAY_TLS_CA_CERT": pki.cluster.ca}
    with pytest.raises(LinkTlsError, match="RAY_TLS_SERVER_KEY is not set") as caught:
        link_tls_from_env(env)
    assert isinstance(caught.value, ValueError)


def test_a_missing_certificate_file_is_a_clear_error(pki: Pki, tmp_path: Path) -> None:
    missing = str(tmp_path / "absent.crt")
    tls = LinkTls(cert=missing, key=pki.cluster.key, ca=pki.cluster.ca)
    for make in (tls.server_context, tls.client_context):
        with pytest.raises(LinkTlsError, match=r"RAY_TLS_SERVER_CERT=.*absent\.crt cannot be read"):
            make()


def test_an_unusable_key_is_named_without_its_content(pki: Pki, tmp_path: Path) -> None:
    wrong_key = tmp_path / "wrong.key"
    secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n"
    wrong_key.write_text(secret)
    tls = LinkTls(cert=pki.cluster.cert, key=str(wrong_key), ca=pki.cluster.ca)
    with pytest.raises(LinkTlsError, match=r"RAY_TLS_SERVER_KEY=.*wrong\.key") as caught:
        tls.server_context()
    assert "c2VjcmV0" not in str(caught.value)
    not_a_ca = LinkTls(cert=pki.cluster.cert, key=pki.cluster.key, ca=str(wrong_key))
    with pytest.raises(LinkTlsError, match=r"RAY_TLS_CA_CERT=.*wrong\.key holds no usable CA"):
        not_a_ca.client_context()


def test_files_named_in_unreadable_variables_are_a_clear_error(tmp_path: Path) -> None:
    """What a host actor or a runtime opening a link meets on a node missing the files."""
    env = {"RAY_USE_TLS": "1", "RAY_TLS_SERVER_CERT": str(tmp_path / "none.crt")}
    env |= {"RAY_TLS_SERVER_KEY": str(tmp_path / "none.key"), "RAY_TLS_CA_CERT": str(tmp_path / "ca.crt")}
    tls = link_tls_from_env(env)
    assert tls is not None
    with pytest.raises(LinkTlsError, match="RAY_TLS_CA_CERT="):
        tls.server_context()


# ---------------------------------------------------------------- both ends as the runtime opens them


def ray_tls_env(monkeypatch: pytest.MonkeyPatch, tls: LinkTls) -> None:
    monkeypatch.setenv("RAY_USE_TLS", "1")
    monkeypatch.setenv("RAY_TLS_SERVER_CERT", tls.cert)
    monkeypatch.setenv("RAY_TLS_SERVER_KEY", tls.key)
    monkeypatch.setenv("RAY_TLS_CA_CERT", tls.ca)


class HostStandIn(Handlers):
    """What AgentHost.open_link uses of its actor: the link server it keeps, the handlers it runs."""

    _link: LinkServer | None = None


def actor_handle(address: Address) -> object:
    class Handle:
        class open_link:  # mimics a Ray actor method
            @staticmethod
            async def remote() -> Address:
                return address

    return Handle()


async def test_with_rays_tls_on_both_ends_of_a_runtimes_link_speak_tls(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowgen.distributed.host import AgentHost
    from flowgen.distributed.runtime import RayAgentRuntime

    ray_tls_env(monkeypatch, pki.cluster)
    monkeypatch.setattr("ray.util.get_node_ip_address", lambda: "127.0.0.1")
    host = HostStandIn()
    address = await AgentHost.open_link(host)  # type: ignore[arg-type]
    assert address is not None and host._link is not None
    try:
        # A plaintext peer gets nothing from the actor's server.
        reader, writer = await asyncio.open_connection(address[0], address[1])
        writer.write(address[2] + encode_batch(0, [envelope("x", "sneaky")]))
        with contextlib.suppress(ConnectionResetError):
            assert (await reader.read())[:1] in (b"", b"\x15")
        writer.close()
        runtime = RayAgentRuntime()
        link = await runtime._open_link(actor_handle(address), "flowgen.x.echo.0", lambda _: None)
        assert link is not None
        assert await answered(link, "over tls", "t") == b'"over tls"'
        assert host.started == ["t"] and host._link.counts["connections"] == 1
        await link.close()
    finally:
        await host._link.close()


async def test_a_runtime_with_tls_files_missing_fails_its_calls_with_the_variable_named(
    pki: Pki,
    tls_server: tuple[LinkServer, Handlers, Address],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from flowgen.distributed.runtime import RayAgentRuntime

    _, handlers, address = tls_server
    ray_tls_env(monkeypatch, pki.cluster)
    monkeypatch.setenv("RAY_TLS_SERVER_KEY", str(tmp_path / "gone.key"))
    runtime = RayAgentRuntime()
    open_link = functools.partial(runtime._open_link, actor_handle(address), "flowgen.x.echo.0")
    ray_calls = RayCalls()
    box = Outbox(ray_calls.deliver, ray_calls.deliver_one, runtime._unavailable, open_link)
    with pytest.raises(LinkTlsError, match=r"RAY_TLS_SERVER_KEY=.*gone\.key cannot be read"):
        await box.put(envelope("x", "no-tls"))  # failed: neither plaintext nor silently by Ray calls
    assert handlers.started == [] and ray_calls.calls == 0
    await box.close()


async def test_a_host_actor_with_tls_files_missing_opens_no_server(
    pki: Pki, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from flowgen.distributed.host import AgentHost

    ray_tls_env(monkeypatch, pki.cluster)
    monkeypatch.setenv("RAY_TLS_CA_CERT", str(tmp_path / "gone-ca.crt"))
    monkeypatch.setattr("ray.util.get_node_ip_address", lambda: "127.0.0.1")
    host = HostStandIn()
    with pytest.raises(LinkTlsError, match=r"RAY_TLS_CA_CERT=.*gone-ca\.crt cannot be read"):
        await AgentHost.open_link(host)  # type: ignore[arg-type]
    assert host._link is not None and host._link._server is None  # nothing listens, in clear or not


async def test_a_runtime_refusing_the_servers_certificate_uses_ray_calls_and_warns(
    pki: Pki, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Ray's own calls are encrypted by Ray's TLS, so the actor stays reachable, never in clear."""
    from flowgen.distributed.runtime import RayAgentRuntime

    impostor = LinkServer(Handlers())
    address = await impostor.open("127.0.0.1", pki.stranger.server_context())
    ray_tls_env(monkeypatch, pki.cluster)
    try:
        with caplog.at_level(logging.WARNING, logger="flowgen.distributed.runtime"):
            link = await RayAgentRuntime()._open_link(
                actor_handle(address), "flowgen.x.echo.0", lambda _: None
            )
        assert link is None
        assert "failed its TLS handshake" in caplog.text and address[2].hex() not in caplog.text
        assert impostor.counts["connections"] == 0
    finally:
        await impostor.close()


def test_only_the_clusters_ca_is_trusted(pki: Pki) -> None:
    """Never the system's store: with names unchecked, any publicly issued certificate would pass."""
    for context in (pki.cluster.server_context(), pki.cluster.client_context()):
        assert [ca["subject"] for ca in context.get_ca_certs()] == [((("commonName", "cluster-ca"),),)]
        assert context.cert_store_stats()["x509_ca"] == 1
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
