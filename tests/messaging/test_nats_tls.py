"""NATS over TLS, as compose and the Helm values can run it: a service trusts the CA in its
settings (NATS_TLS_CA_FILE) and, where the server asks for one, shows a client certificate; a
client that trusts another CA, or shows no certificate to a server that requires one, is refused."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from nats.errors import Error as NatsError

from plans.settings import PlansSettings
from shared.devstack import NatsServer, ServerTls, free_port
from shared.messaging.identities import (
    OPERATOR,
    NatsIdentity,
    OperatorNatsSettings,
    nats_identity,
)


class Authority:
    """A certificate authority of the test's own, writing PEM files into `folder`."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = (
            self._builder(subject, self.key.public_key())
            .issuer_name(subject)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = folder / f"{name}-ca.pem"
        self.ca_file.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    @staticmethod
    def _builder(
        subject: x509.Name, public_key: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    def issue(self, name: str, usage: x509.ObjectIdentifier) -> tuple[Path, Path]:
        """(certificate file, key file) for `name`, valid for 127.0.0.1."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = (
            self._builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), key.public_key()
            )
            .issuer_name(self.certificate.subject)
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_file, key_file = self.folder / f"{name}.pem", self.folder / f"{name}-key.pem"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority(tmp_path_factory.mktemp("nats-tls"), "dayaq-test")


def _server(folder: Path, authority: Authority, *, mutual: bool) -> Iterator[NatsServer]:
    cert_file, key_file = authority.issue("nats", ExtendedKeyUsageOID.SERVER_AUTH)
    server = NatsServer(
        folder / "store",
        free_port(),
        credentials_dir=folder / "credentials",
        tls=ServerTls(cert_file, key_file, client_ca=authority.ca_file if mutual else None),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, authority: Authority
) -> Iterator[NatsServer]:
    yield from _server(tmp_path_factory.mktemp("nats-tls-server"), authority, mutual=False)


@pytest.fixture(scope="module")
def mtls_server(
    tmp_path_factory: pytest.TempPathFactory, authority: Authority
) -> Iterator[NatsServer]:
    yield from _server(tmp_path_factory.mktemp("nats-mtls-server"), authority, mutual=True)


async def _round_trip(server: NatsServer, identity: NatsIdentity) -> None:
    """Connects as `identity` and has the server answer a PING over the connection."""
    client = await nats.connect(
        server.url, allow_reconnect=False, connect_timeout=5, **identity.connect_options()
    )
    try:
        await client.flush(timeout=5)
        assert client.is_connected
    finally:
        await client.close()


async def _refused(server: NatsServer, identity: NatsIdentity) -> None:
    options = identity.connect_options()
    # Which error depends on which side gives up first: the client's handshake, or the server.
    with pytest.raises((ssl.SSLError, NatsError, OSError)):
        await nats.connect(server.url, allow_reconnect=False, connect_timeout=5, **options)


def _plans_settings(
    server: NatsServer,
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
) -> PlansSettings:
    return PlansSettings(
        database_url="postgresql+asyncpg://unused/unused",
        nats_url=server.url,
        nats_nkey_seed_file=server.seed_file("plans"),
        nats_tls_ca_file=ca_file,
        nats_tls_cert_file=cert_file,
        nats_tls_key_file=key_file,
    )


async def test_a_service_trusting_the_ca_in_its_settings_connects(
    tls_server: NatsServer, authority: Authority
) -> None:
    identity = nats_identity(_plans_settings(tls_server, ca_file=authority.ca_file))
    assert identity.name == "plans"
    await _round_trip(tls_server, identity)
    # The operator's command reads DAYAQ_NATS_TLS_* the same way.
    operator = OperatorNatsSettings(
        nats_nkey_seed_file=tls_server.seed_file(OPERATOR), nats_tls_ca_file=authority.ca_file
    )
    await _round_trip(tls_server, operator.identity())


async def test_a_client_that_does_not_trust_the_servers_ca_is_refused(
    tls_server: NatsServer, tmp_path: Path
) -> None:
    stranger = Authority(tmp_path, "someone-else")
    await _refused(tls_server, nats_identity(_plans_settings(tls_server, ca_file=stranger.ca_file)))
    # Nor is the system's trust store enough: the server's certificate is the ministry's own.
    await _refused(tls_server, nats_identity(_plans_settings(tls_server)))


async def test_with_mutual_tls_only_a_client_certificate_of_the_ca_gets_in(
    mtls_server: NatsServer, authority: Authority, tmp_path: Path
) -> None:
    cert_file, key_file = authority.issue("plans", ExtendedKeyUsageOID.CLIENT_AUTH)
    without = nats_identity(_plans_settings(mtls_server, ca_file=authority.ca_file))
    await _refused(mtls_server, without)
    stranger_cert, stranger_key = Authority(tmp_path, "other").issue(
        "plans", ExtendedKeyUsageOID.CLIENT_AUTH
    )
    foreign = nats_identity(
        _plans_settings(
            mtls_server, ca_file=authority.ca_file, cert_file=stranger_cert, key_file=stranger_key
        )
    )
    await _refused(mtls_server, foreign)
    with_certificate = nats_identity(
        _plans_settings(
            mtls_server, ca_file=authority.ca_file, cert_file=cert_file, key_file=key_file
        )
    )
    await _round_trip(mtls_server, with_certificate)
