"""Who may say what on NATS: one nkey user per service, and one for the operator.

An event is trusted because the broker let only its producer send it. nats-server holds only the
public keys (an nkey user signs the server's challenge with its seed, which never leaves the
client) and, for each user, the subjects it may publish to and subscribe to:

- a service publishes its own events (`<service>.>`), its own dead letters
  (`deadletter.<service>-from-<producer>`), and the JetStream API calls it needs: create its own
  stream and the dead-letter stream if they are missing (never update them: a stream's
  configuration is the operator's, `dayaq streams`), read its own stream, and run its own durable
  consumers on the streams it consumes (create, read, fetch, ack);
- monitoring may also make the read-model rebuild's consumer (`monitoring-rebuild`) on every
  stream, and delete it;
- the operator (`deadletters`: `dayaq deadletters`, and whoever administers the streams) has the
  whole JetStream API, purge and delete included, and may publish every service's events, since
  replaying a dead letter publishes it again;
- each subscribes only to its own reply inbox (`_INBOX_<identity>.>`), where JetStream answers and
  delivers; nobody subscribes to event subjects directly.

A JetStream API subject names its stream in one token (`$JS.API.STREAM.UPDATE.T1_INTAKE`), and a
wildcard cannot match part of a token, so namespaces cannot be covered by wildcards: the
permissions are written out for each namespace the server serves (`""` for none). Event subjects
are written out the same way, so a service can publish into its own streams only, in every
namespace: a namespace may not be named after a service or the dead-letter stream, since
`plans.intake.x` would then be both plans' subject and the intake stream's of namespace `plans`.
"""

from __future__ import annotations

import json
import os
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nkeys
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.jetstream import (
    DEADLETTER,
    PRODUCERS,
    durable_name,
    stream_name,
    subject_for,
)
from shared.settings import ServiceSettings

OPERATOR = "deadletters"
IDENTITIES = (*PRODUCERS, OPERATOR)
# The producers each service consumes: its durable consumers are `<service>-from-<producer>`
# (tests/messaging/test_nats_auth.py checks this against the services' handlers).
CONSUMES: Mapping[str, tuple[str, ...]] = {
    "intake": ("assets", "monitoring"),
    "plans": ("intake", "monitoring"),
    "assets": ("intake", "plans", "monitoring"),
    "monitoring": PRODUCERS,
}
REBUILD_CONSUMER = "monitoring-rebuild"
_RESERVED_NAMESPACES = {*PRODUCERS, DEADLETTER}
_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
API = "$JS.API"


def consumer_name(service: str, producer: str) -> str:
    return f"{service}-from-{producer}"


def inbox_prefix(identity: str) -> str:
    return f"_INBOX_{identity}"


def check_namespace(namespace: str) -> str:
    if namespace and (not _NAMESPACE.match(namespace) or namespace.lower() in _RESERVED_NAMESPACES):
        raise ValueError(
            f"NATS namespace {namespace!r}: lower-case letters, digits and '-', "
            f"and not one of {sorted(_RESERVED_NAMESPACES)}"
        )
    return namespace


@dataclass(frozen=True)
class Permissions:
    publish: list[str]
    subscribe: list[str]


def permissions(identity: str, namespaces: Iterable[str] = ("",)) -> Permissions:
    """What `identity` may publish and subscribe to, on a server serving `namespaces`."""
    if identity not in IDENTITIES:
        raise ValueError(f"unknown NATS identity {identity!r}")
    publish: list[str] = []
    for namespace in sorted(set(namespaces)):
        check_namespace(namespace)
        if identity == OPERATOR:
            publish += [subject_for(namespace, f"{producer}.>") for producer in PRODUCERS]
        else:
            publish += _service_publish(identity, namespace)
    if identity == OPERATOR:
        publish.append(f"{API}.>")
    return Permissions(publish=publish, subscribe=[f"{inbox_prefix(identity)}.>"])


def _service_publish(service: str, namespace: str) -> list[str]:
    own = stream_name(namespace, service)
    deadletter = stream_name(namespace, DEADLETTER)
    allowed = [subject_for(namespace, f"{service}.>")]
    # Create its stream when missing, never update it: a stream's configuration is the operator's.
    allowed += [f"{API}.STREAM.{verb}.{own}" for verb in ("INFO", "CREATE")]
    allowed.append(f"{API}.STREAM.CREATE.{deadletter}")
    for producer in CONSUMES[service]:
        name = consumer_name(service, producer)
        allowed.append(subject_for(namespace, f"{DEADLETTER}.{name}"))
        allowed += _consumer(stream_name(namespace, producer), durable_name(namespace, name))
        if producer == "intake":
            # The last intake.partner_keys.snapshot, read at start and periodically
            # (shared.partner_keys), from a stream this service consumes whole anyway.
            allowed.append(f"{API}.STREAM.MSG.GET.{stream_name(namespace, producer)}")
    if service == "monitoring":
        rebuild = durable_name(namespace, REBUILD_CONSUMER)
        for producer in PRODUCERS:
            stream = stream_name(namespace, producer)
            allowed.append(f"{API}.STREAM.INFO.{stream}")
            allowed += _consumer(stream, rebuild)
            allowed.append(f"{API}.CONSUMER.DELETE.{stream}.{rebuild}")
    return list(dict.fromkeys(allowed))


def _consumer(stream: str, consumer: str) -> list[str]:
    """A pull consumer's calls: create (by name, with or without a filter subject), read, fetch,
    and ack its messages."""
    return [
        f"{API}.CONSUMER.CREATE.{stream}.{consumer}",
        f"{API}.CONSUMER.CREATE.{stream}.{consumer}.>",
        f"{API}.CONSUMER.DURABLE.CREATE.{stream}.{consumer}",
        f"{API}.CONSUMER.INFO.{stream}.{consumer}",
        f"{API}.CONSUMER.MSG.NEXT.{stream}.{consumer}",
        f"$JS.ACK.{stream}.{consumer}.>",
    ]


def authorization_block(public_keys: Mapping[str, str], namespaces: Iterable[str] = ("",)) -> str:
    """nats-server's `authorization` block: the users by public nkey, with their permissions.
    No user is anonymous, so a client without credentials is refused."""
    namespaces = list(namespaces)
    users = []
    for identity in IDENTITIES:
        allowed = permissions(identity, namespaces)
        users.append(
            f"    # {identity}\n"
            f"    {{\n      nkey: {public_keys[identity]}\n"
            "      permissions: {\n"
            f"        publish: {{ allow: {json.dumps(allowed.publish)} }}\n"
            f"        subscribe: {{ allow: {json.dumps(allowed.subscribe)} }}\n"
            "      }\n    }"
        )
    return "authorization {\n  users: [\n" + "\n".join(users) + "\n  ]\n}\n"


def ensure_seeds(folder: Path) -> dict[str, Path]:
    """One nkey seed per identity in `folder/<identity>.nk` (0600), generated on first use."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    files = {}
    for identity in IDENTITIES:
        path = folder / f"{identity}.nk"
        if not path.exists():
            seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
            path.touch(mode=0o600)
            path.write_bytes(seed + b"\n")
        files[identity] = path
    return files


def public_key(seed: str | bytes) -> str:
    raw = seed.encode() if isinstance(seed, str) else seed
    key: bytes = nkeys.from_seed(bytearray(raw.strip())).public_key
    return key.decode()


def public_keys(seed_files: Mapping[str, Path]) -> dict[str, str]:
    return {identity: public_key(path.read_bytes()) for identity, path in seed_files.items()}


@dataclass(frozen=True)
class NatsIdentity:
    """How a client proves who it is to nats-server: the identity's nkey seed (a value or a file)
    and, when the server speaks TLS, the CA to trust and optionally a client certificate."""

    name: str
    seed: SecretStr | None = None
    seed_file: Path | None = None
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments for `nats.connect`."""
        options: dict[str, Any] = {"inbox_prefix": inbox_prefix(self.name)}
        if self.seed is not None:
            options["nkeys_seed_str"] = self.seed.get_secret_value()
        elif self.seed_file is not None:
            options["nkeys_seed"] = str(self.seed_file)
        if self.tls_ca_file or self.tls_cert_file:
            context = ssl.create_default_context(
                cafile=str(self.tls_ca_file) if self.tls_ca_file else None
            )
            if self.tls_cert_file:
                context.load_cert_chain(
                    str(self.tls_cert_file), str(self.tls_key_file) if self.tls_key_file else None
                )
            options["tls"] = context
        return options


def nats_identity(settings: ServiceSettings) -> NatsIdentity:
    """The identity a service connects as: its own name, with the credentials in its settings."""
    return _identity(settings.service_name, settings)


class OperatorNatsSettings(BaseSettings):
    """The operator's NATS credentials (`dayaq deadletters`), from DAYAQ_NATS_NKEY_SEED(_FILE)
    and DAYAQ_NATS_TLS_*: apart from the services' settings, which the operator's shell lacks."""

    model_config = SettingsConfigDict(env_prefix="DAYAQ_", extra="ignore")

    nats_nkey_seed: SecretStr | None = None
    nats_nkey_seed_file: Path | None = None
    nats_tls_ca_file: Path | None = None
    nats_tls_cert_file: Path | None = None
    nats_tls_key_file: Path | None = None

    def identity(self) -> NatsIdentity:
        return _identity(OPERATOR, self)


def _identity(name: str, settings: ServiceSettings | OperatorNatsSettings) -> NatsIdentity:
    return NatsIdentity(
        name=name,
        seed=settings.nats_nkey_seed,
        seed_file=settings.nats_nkey_seed_file,
        tls_ca_file=settings.nats_tls_ca_file,
        tls_cert_file=settings.nats_tls_cert_file,
        tls_key_file=settings.nats_tls_key_file,
    )
