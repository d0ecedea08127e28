"""deploy/: the image, the compose file and the Kubernetes manifests, checked without a cluster or
a Docker engine.

- Kubernetes kinds: kubernetes-validate's bundled JSON schemas, strict (an unknown field is an
  error), for KUBERNETES_VERSION.
- CloudNativePG's Cluster and Database have no bundled schema: they are checked against the small
  schemas below, which cover the fields deploy/k8s uses and refuse any other (extend them with
  the manifest).
- compose.yaml: the compose-spec schema that check-jsonschema ships (`vendor.compose-spec`).
- The Helm values for NATS: parsed, and the settings that matter checked by hand.
- The Dockerfile: what it copies exists and passes its .dockerignore; its entry point runs
  against a real PostgreSQL and NATS, as the migration Job and the Deployment run it.

Each validator is also shown a broken copy, so that a validator that accepts anything fails here.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]
from pydantic_settings import BaseSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.devkeys import ensure_dev_keys
from shared.devstack import NatsServer, Postgres, create_database, drop_database, free_port
from shared.messaging.identities import IDENTITIES, permissions
from shared.subject_access import PREFIX as SUBJECT_ACCESS
from tests.conftest import ExternalNats, ExternalPostgres

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"
COMPOSE = DEPLOY / "compose.yaml"
NATS_VALUES = K8S / "nats-values.yaml"
SECRETS_EXAMPLE = K8S / "secrets.example.yaml"
KUSTOMIZATION = K8S / "kustomization.yaml"
# The oldest Kubernetes minor the manifests are meant for.
KUBERNETES_VERSION = "1.33"
# Every service is a package under services/ with a main.py; a fifth one must be deployed too.
SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/main.py"))
COMPOSE_PORTS = {"intake": 8001, "plans": 8002, "assets": 8003, "monitoring": 8004}
# The service the entry point is run with (any would do).
ENTRYPOINT_SERVICE = "plans"

Doc = dict[str, Any]


def load_all(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def manifest_files() -> list[Path]:
    """Every Kubernetes object file under deploy/k8s (not Helm values, not the kustomization)."""
    return sorted(
        path
        for path in K8S.rglob("*.y*ml")
        if path not in (NATS_VALUES, KUSTOMIZATION) and path.suffix in (".yaml", ".yml")
    )


def manifests() -> list[Doc]:
    return [doc for path in manifest_files() for doc in load_all(path)]


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


# --- schemas for the CloudNativePG resources (no bundled schema exists) ---

_QUANTITY = {
    "type": ["string", "integer"],
    "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$",
}
_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
_REFERENCE = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": _NAME},
}
_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "namespace": _NAME,
        "labels": _STRINGS,
        "annotations": _STRINGS,
    },
}
_PG_IDENTIFIER = {"type": "string", "pattern": r"^[a-z_][a-z0-9_]*$"}
_RESOURCES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "requests": {"type": "object", "additionalProperties": _QUANTITY},
        "limits": {"type": "object", "additionalProperties": _QUANTITY},
    },
}


def _closed(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }


CNPG_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("postgresql.cnpg.io/v1", "Cluster"): _closed(
        ["apiVersion", "kind", "metadata", "spec"],
        apiVersion={"const": "postgresql.cnpg.io/v1"},
        kind={"const": "Cluster"},
        metadata=_METADATA,
        spec=_closed(
            ["instances", "storage"],
            instances={"type": "integer", "minimum": 1},
            imageName={"type": "string", "minLength": 1},
            primaryUpdateStrategy={"enum": ["supervised", "unsupervised"]},
            enableSuperuserAccess={"type": "boolean"},
            storage=_closed(["size"], size=_QUANTITY, storageClass={"type": "string"}),
            # PostgreSQL parameters are strings in the CRD, even numbers.
            postgresql=_closed([], parameters=_STRINGS),
            resources=_RESOURCES,
            affinity=_closed(
                [], enablePodAntiAffinity={"type": "boolean"}, topologyKey={"type": "string"}
            ),
            bootstrap=_closed(
                ["initdb"],
                initdb=_closed(
                    ["database", "owner"],
                    database=_PG_IDENTIFIER,
                    owner=_PG_IDENTIFIER,
                    secret=_REFERENCE,
                ),
            ),
            managed=_closed(
                [],
                roles={
                    "type": "array",
                    "items": _closed(
                        ["name"],
                        name=_PG_IDENTIFIER,
                        ensure={"enum": ["present", "absent"]},
                        login={"type": "boolean"},
                        passwordSecret=_REFERENCE,
                    ),
                },
            ),
        ),
    ),
    ("postgresql.cnpg.io/v1", "Database"): _closed(
        ["apiVersion", "kind", "metadata", "spec"],
        apiVersion={"const": "postgresql.cnpg.io/v1"},
        kind={"const": "Database"},
        metadata=_METADATA,
        spec=_closed(
            ["cluster", "name", "owner"],
            cluster=_REFERENCE,
            name={**_PG_IDENTIFIER, "not": {"enum": ["postgres", "template0", "template1"]}},
            owner=_PG_IDENTIFIER,
            ensure={"enum": ["present", "absent"]},
            databaseReclaimPolicy={"enum": ["retain", "delete"]},
        ),
    ),
}


def manifest_errors(doc: Any) -> list[str]:
    """Why `doc` is not a valid object; empty when it is. A kind with no schema is an error."""
    if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
        return ["not a Kubernetes object (apiVersion and kind)"]
    schema = CNPG_SCHEMAS.get((doc["apiVersion"], doc["kind"]))
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        return [
            f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(doc)
        ]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path))}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [f"no schema: {error.message}"]
    return []


# --- Kubernetes ---


def test_the_services_are_the_four_of_the_design() -> None:
    assert sorted(COMPOSE_PORTS) == SERVICES


@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: path.name)
def test_every_manifest_validates(path: Path) -> None:
    docs = load_all(path)
    assert docs, f"{path} holds no object"
    for doc in docs:
        where = f"{path.name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        assert manifest_errors(doc) == [], where
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "dayaq", f"{where}: namespace"


BROKEN: list[tuple[str, str, Callable[[Doc], None]]] = [
    ("a misspelt field", "Deployment", lambda d: d["spec"].update(replica=2)),
    (
        "a misspelt probe",
        "Deployment",
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(livenesProbe={}),
    ),
    ("a string for a number", "Deployment", lambda d: d["spec"].update(replicas="2")),
    ("no selector", "Deployment", lambda d: d["spec"].pop("selector")),
    (
        "a container without a name",
        "Job",
        lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"),
    ),
    ("a port out of type", "Service", lambda d: d["spec"]["ports"][0].update(port="http")),
    ("a misspelt CNPG field", "Cluster", lambda d: d["spec"].update(instance=3)),
    ("CNPG instances as text", "Cluster", lambda d: d["spec"].update(instances="three")),
    (
        "a CNPG parameter as a number",
        "Cluster",
        lambda d: d["spec"]["postgresql"]["parameters"].update(max_connections=200),
    ),
    ("a Database without owner", "Database", lambda d: d["spec"].pop("owner")),
    ("an unknown kind", "Service", lambda d: d.update(kind="Servise")),
]


@pytest.mark.parametrize(("what", "kind", "breaking"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_manifest_is_rejected(
    what: str, kind: str, breaking: Callable[[Doc], None], tmp_path: Path
) -> None:
    """A broken copy, written and read back as a file, fails the same check as the real ones."""
    source = next(d for d in manifests() if d["kind"] == kind)
    assert manifest_errors(source) == []
    broken = copy.deepcopy(source)
    breaking(broken)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    (doc,) = load_all(path)
    assert manifest_errors(doc) != [], f"{what} was accepted"


def test_broken_yaml_does_not_parse(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text((K8S / "intake.yaml").read_text().replace("  replicas: 2", "replicas: 2:", 1))
    with pytest.raises(yaml.YAMLError):
        load_all(path)


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = load_all(KUSTOMIZATION)
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == "dayaq"
    listed = {K8S / name for name in kustomization["resources"]}
    # Everything but the example Secrets (never applied) is a resource.
    assert listed == set(manifest_files()) - {SECRETS_EXAMPLE}
    # The image every container names is the one the kustomization points at a registry.
    (image,) = kustomization["images"]
    images = {
        container["image"]
        for doc in manifests()
        if doc["kind"] in ("Deployment", "Job")
        for container in doc["spec"]["template"]["spec"]["containers"]
    }
    assert images == {image["name"]}


def _env_sources(pod_spec: Doc) -> tuple[set[str], set[str]]:
    (container,) = pod_spec["containers"]
    config_maps = {s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s}
    secrets = {s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s}
    return config_maps, secrets


def _settings_fields(service: str) -> set[str]:
    """The environment variables the service's Settings class reads."""
    module = importlib.import_module(f"{service}.settings")
    (settings,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == module.__name__
    ]
    prefix = settings.model_config.get("env_prefix", "")
    assert prefix == f"{service.upper()}_"
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


def _is_quantity(value: object) -> bool:
    return re.fullmatch(r"[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi)?", str(value)) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_deployed_as_designed(service: str) -> None:
    docs = manifests()
    fields = _settings_fields(service)

    config = find(docs, "ConfigMap", f"{service}-config")
    assert config["data"]["SERVICE"] == service
    assert config["data"][f"{service.upper()}_ENVIRONMENT"] == "production"
    # Every setting is one the service reads: a misspelt or copied name would be ignored silently.
    assert set(config["data"]) - {"SERVICE"} <= fields
    assert f"{service.upper()}_JWKS_URL" in config["data"]
    assert config["data"][f"{service.upper()}_NATS_URL"] == "nats://nats.dayaq.svc:4222"

    deployment = find(docs, "Deployment", service)
    spec = deployment["spec"]
    pod = spec["template"]
    assert spec["replicas"] == 2
    assert spec["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    (container,) = pod["spec"]["containers"]
    assert container.get("args", ["serve"]) == ["serve"]
    port, metrics_port = container["ports"]
    assert (port["name"], port["containerPort"]) == ("http", 8000)
    # Prometheus scrapes /metrics on a port of its own, which no Service publishes.
    assert metrics_port["name"] == "metrics"
    assert metrics_port["containerPort"] == int(annotations["prometheus.io/port"])
    assert int(config["data"][f"{service.upper()}_METRICS_PORT"]) == metrics_port["containerPort"]
    assert int(config["data"][f"{service.upper()}_HSTS_SECONDS"]) >= 31536000
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    for bound in ("requests", "limits"):
        assert set(container["resources"][bound]) == {"cpu", "memory"}
        assert all(_is_quantity(v) for v in container["resources"][bound].values())
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert _env_sources(pod["spec"]) == ({f"{service}-config"}, {f"{service}-secrets"})

    selector = spec["selector"]["matchLabels"]
    service_doc = find(docs, "Service", service)
    assert service_doc["spec"]["selector"] == selector
    assert [p["targetPort"] for p in service_doc["spec"]["ports"]] == [port["name"]]
    budget = find(docs, "PodDisruptionBudget", service)
    assert budget["spec"]["selector"]["matchLabels"] == selector
    assert budget["spec"]["minAvailable"] < spec["replicas"]

    job = find(docs, "Job", f"{service}-migrate")
    job_pod = job["spec"]["template"]
    (migrate,) = job_pod["spec"]["containers"]
    assert migrate["args"] == ["migrate"]
    assert migrate["image"] == container["image"]
    assert _env_sources(job_pod["spec"]) == _env_sources(pod["spec"])
    assert not selector.items() <= job_pod["metadata"]["labels"].items(), (
        "the Service would pick it"
    )
    assert migrate["securityContext"]["readOnlyRootFilesystem"] is True
    # The Job runs in an earlier sync wave than the Deployment.
    wave = "argocd.argoproj.io/sync-wave"
    assert int(job["metadata"]["annotations"][wave]) < int(
        deployment["metadata"]["annotations"][wave]
    )


def test_the_example_secrets_match_what_is_referenced() -> None:
    docs = manifests()
    examples = {d["metadata"]["name"]: d for d in load_all(SECRETS_EXAMPLE)}
    referenced: set[str] = set()
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            referenced |= _env_sources(doc["spec"]["template"]["spec"])[1]
    cluster = find(docs, "Cluster", "dayaq-pg")
    referenced |= {role["passwordSecret"]["name"] for role in cluster["spec"]["managed"]["roles"]}
    referenced.add(cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"])
    (nats_values,) = load_all(NATS_VALUES)
    referenced |= {
        variable["valueFrom"]["secretKeyRef"]["name"]
        for variable in nats_values["container"]["env"].values()
    }
    assert referenced == set(examples)
    assert set(examples["nats-identities"]["stringData"]) == set(IDENTITIES)
    for service in SERVICES:
        env = examples[f"{service}-secrets"]["stringData"]
        assert set(env) <= _settings_fields(service)
        url = env[f"{service.upper()}_DATABASE_URL"]
        role = examples[f"dayaq-pg-{service}"]
        assert role["type"] == "kubernetes.io/basic-auth"
        assert url.startswith(f"postgresql+asyncpg://{role['stringData']['username']}:")
        assert f"@dayaq-pg-rw.dayaq.svc:5432/dayaq_{service}?" in url
        # Each service has its own NATS identity, a secret the services refuse in production.
        assert "dev-only" in env[f"{service.upper()}_NATS_NKEY_SEED"]
        # Placeholders the services refuse in production, where they can tell.
        assert all("CHANGE-ME" in value for key, value in env.items() if key.endswith("_KEY"))
        assert all("dev-only" in value for key, value in env.items() if key.endswith("_KEY"))


def test_the_ingress_routes_each_api_prefix_to_its_service_and_nothing_else() -> None:
    """One base URL: every /v1 prefix of a service's OpenAPI goes to that service's API port;
    /metrics, /docs, the probes and the parts of access requests (which intake gathers inside
    the cluster) are not published."""
    (ingress,) = [d for d in manifests() if d["kind"] == "Ingress"]
    assert ingress["spec"]["tls"]
    routed: dict[str, set[str]] = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["pathType"] == "Prefix"
            assert re.fullmatch(r"/v1/[a-z-]+", path["path"]), path["path"]
            backend = path["backend"]["service"]
            assert backend["port"] == {"name": "http"}
            routed.setdefault(backend["name"], set()).add(path["path"])
    every = {prefix for prefixes in routed.values() for prefix in prefixes}
    internal = ("/", "/metrics", "/docs", "/openapi.json", "/healthz", "/readyz", SUBJECT_ACCESS)
    for published in internal:
        assert not any(published == p or published.startswith(p + "/") for p in every)
    assert set(routed) == set(SERVICES)
    for service in SERVICES:
        app = importlib.import_module(f"{service}.main").create_app()
        paths = app.openapi()["paths"]
        prefixes = {"/".join(p.split("/")[:3]) for p in paths if p.startswith("/v1/")}
        prefixes.discard(SUBJECT_ACCESS)
        assert prefixes == routed[service], service
        assert "/metrics" not in paths


# The services that store uploaded files (shared.filestore).
FILE_SERVICES = ("assets", "monitoring")


@pytest.mark.parametrize("service", FILE_SERVICES)
def test_uploads_go_to_object_storage_in_kubernetes_and_a_volume_in_compose(service: str) -> None:
    """Pods have a read-only root and several replicas: files must go to the S3 bucket there.
    Compose keeps them in a named volume, mounted where the setting points."""
    prefix = service.upper()
    config = find(manifests(), "ConfigMap", f"{service}-config")["data"]
    assert config[f"{prefix}_FILESTORE_S3_BUCKET"]
    assert config[f"{prefix}_FILESTORE_S3_ENDPOINT_URL"].startswith("https://")
    assert f"{prefix}_FILESTORE_PATH" not in config
    assert int(config[f"{prefix}_MAX_UPLOAD_BYTES"]) > 0
    secrets = {d["metadata"]["name"]: d for d in load_all(SECRETS_EXAMPLE)}
    keys = secrets[f"{service}-secrets"]["stringData"]
    assert {f"{prefix}_FILESTORE_S3_ACCESS_KEY_ID", f"{prefix}_FILESTORE_S3_SECRET_ACCESS_KEY"} <= (
        set(keys)
    )
    # Access keys are secrets, never configuration.
    assert not {k for k in config if "ACCESS_KEY" in k or "SECRET" in k}

    (compose,) = load_all(COMPOSE)
    env = compose["services"][service]["environment"]
    path = env[f"{prefix}_FILESTORE_PATH"]
    mounts = dict(v.split(":")[:2][::-1] for v in compose["services"][service]["volumes"])
    assert mounts[path] in compose["volumes"]
    assert f"{prefix}_FILESTORE_S3_BUCKET" not in env


def test_postgres_has_a_database_and_role_per_service() -> None:
    docs = manifests()
    cluster = find(docs, "Cluster", "dayaq-pg")
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    owners = {initdb["database"]: initdb["owner"]}
    for database in (d for d in docs if d["kind"] == "Database"):
        assert database["spec"]["cluster"]["name"] == "dayaq-pg"
        owners[database["spec"]["name"]] = database["spec"]["owner"]
    assert owners == {f"dayaq_{service}": service for service in SERVICES}
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == set(SERVICES)
    for name, role in roles.items():
        assert role["login"] is True
        assert role["passwordSecret"]["name"] == f"dayaq-pg-{name}"
    assert cluster["spec"]["instances"] >= 3
    assert cluster["spec"]["enableSuperuserAccess"] is False


def test_nats_values_give_a_durable_jetstream_cluster() -> None:
    (values,) = load_all(NATS_VALUES)
    config = values["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    jetstream = config["jetstream"]
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True
    assert jetstream["fileStore"]["pvc"]["enabled"] is True
    assert _is_quantity(jetstream["fileStore"]["pvc"]["size"])
    assert jetstream["merge"]["sync_interval"] == "always"
    # Only top-level keys of the chart's 1.x values (a 0.x "nats:" key would be ignored).
    known = {"config", "container", "podTemplate", "promExporter", "podDisruptionBudget", "natsBox"}
    assert set(values) <= known


def test_nats_values_let_in_only_the_identities_with_their_permissions() -> None:
    """No anonymous client: one nkey user per identity, its public key from the Secret
    nats-identities, with exactly the permissions shared.messaging.identities gives it."""
    (values,) = load_all(NATS_VALUES)
    authorization = values["config"]["merge"]["authorization"]
    assert set(authorization) == {"users"}  # no token, no anonymous user
    assert "no_auth_user" not in values["config"]["merge"]
    env = values["container"]["env"]
    for identity, user in zip(IDENTITIES, authorization["users"], strict=True):
        variable = f"NKEY_{identity.upper()}"
        assert user["nkey"] == f"<< ${variable} >>"
        assert env[variable]["valueFrom"]["secretKeyRef"] == {
            "name": "nats-identities",
            "key": identity,
        }
        expected = permissions(identity, [""])
        assert user["permissions"] == {
            "publish": {"allow": expected.publish},
            "subscribe": {"allow": expected.subscribe},
        }


# --- compose ---


def _check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", path],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_compose_validates_against_the_compose_spec() -> None:
    result = _check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("what", "old", "new"),
    [
        ("a misspelt condition", "condition: service_healthy", "condition: service_heathy"),
        ("a misspelt key", "    ports:\n", "    port:\n"),
    ],
    ids=["condition", "key"],
)
def test_a_broken_compose_file_is_rejected(what: str, old: str, new: str, tmp_path: Path) -> None:
    source = COMPOSE.read_text()
    assert old in source
    broken = tmp_path / "compose.yaml"
    broken.write_text(source.replace(old, new, 1))
    result = _check_jsonschema(broken)
    assert result.returncode != 0, f"{what} was accepted"
    assert "Schema validation errors" in result.stdout, result.stdout + result.stderr


def test_compose_runs_the_stack_in_order() -> None:
    (compose,) = load_all(COMPOSE)
    services = compose["services"]
    assert services["nats"]["command"][:1] == ["-js"]
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["nats"]
    migrate = services["migrate"]
    assert migrate["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    context = (DEPLOY / migrate["build"]["context"]).resolve()
    assert context == ROOT
    assert context / migrate["build"]["dockerfile"] == DOCKERFILE
    for name in SERVICES:
        service = services[name]
        prefix = name.upper()
        env = service["environment"]
        assert env["SERVICE"] == name
        assert set(env) - {"SERVICE"} <= _settings_fields(name)
        assert env[f"{prefix}_DATABASE_URL"].endswith(f"@postgres:5432/dayaq_{name}")
        assert env[f"{prefix}_NATS_URL"] == "nats://nats:4222"
        assert service["ports"] == [f"127.0.0.1:{COMPOSE_PORTS[name]}:8000"]
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "nats": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["image"] == migrate["image"]
        # Development values only, and marked as such.
        for key, value in env.items():
            if key.endswith(("_KEY", "_DATABASE_URL")):
                assert "dev-only" in value, key


def test_compose_support_files() -> None:
    (compose,) = load_all(COMPOSE)
    mounts = [
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
    ]
    for mount in (m for m in mounts if m.startswith(".")):
        assert (DEPLOY / mount).is_file(), mount
    sql = (DEPLOY / "postgres" / "init-databases.sql").read_text()
    created = re.findall(r"CREATE DATABASE (\w+);", sql)
    assert created == [f"dayaq_{service}" for service in COMPOSE_PORTS]
    nats_conf = (DEPLOY / "nats" / "nats.conf").read_text()
    assert re.search(r"^\s*sync_interval: always$", nats_conf, re.MULTILINE)
    assert re.search(r"^\s*store_dir: /data/", nats_conf, re.MULTILINE)


def test_compose_nats_lets_in_only_the_identities() -> None:
    """nats-identities writes the seeds into the dev-keys volume (each service reads its own) and
    nats-server's users into nats-auth, which nats.conf includes before NATS starts."""
    (compose,) = load_all(COMPOSE)
    services = compose["services"]
    nats = services["nats"]
    assert nats["depends_on"] == {
        "nats-identities": {"condition": "service_completed_successfully"}
    }
    maker = services["nats-identities"]
    command = maker["command"]
    assert command[:2] == ["dayaq", "nats-identities"]
    seeds = command[command.index("--seeds") + 1]
    server_config = Path(command[command.index("--server-config") + 1])
    mounts = {v.split(":")[1]: v.split(":")[0] for v in maker["volumes"]}
    nats_mounts = {v.split(":")[1]: v.split(":")[0] for v in nats["volumes"]}
    assert mounts[str(server_config.parent)] == nats_mounts["/etc/nats/auth"] == "nats-auth"
    nats_conf = (DEPLOY / "nats" / "nats.conf").read_text()
    assert re.search(rf'^include "auth/{server_config.name}"$', nats_conf, re.MULTILINE)
    assert "authorization" not in nats_conf.replace("authorization.conf", "")
    keys_volume = next(v for v in maker["volumes"] if v.startswith("dev-keys:"))
    for name in SERVICES:
        env = services[name]["environment"]
        seed_file = env[f"{name.upper()}_NATS_NKEY_SEED_FILE"]
        assert seed_file == f"{seeds}/{name}.nk"
        mounted = [v for v in services[name]["volumes"] if v.startswith("dev-keys:")]
        assert [v.split(":")[1] for v in mounted] == [keys_volume.split(":")[1]]
        assert seeds.startswith(keys_volume.split(":")[1] + "/")


# --- the image ---


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(path: str) -> bool:
    """Docker's rule: the last pattern matching the path, or a folder above it, decides."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = path.split("/")
    ignored = False
    for raw in patterns:
        exception = raw.startswith("!")
        regex = _pattern_regex(raw.lstrip("!").strip("/"))
        if any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            ignored = not exception
    return ignored


def test_dockerignore_sends_only_what_the_image_needs() -> None:
    for path in ["pyproject.toml", "requirements.lock", "shared/app.py", "services/intake/main.py"]:
        assert not dockerignored(path), path
    assert not dockerignored("services/intake/migrations/script.py.mako")
    assert not dockerignored("shared/ddl/20261125_shared_tables.sql")  # past migrations run it
    for path in [".venv/bin/python", ".git/HEAD", "tests/conftest.py", ".dayaq/secrets.env"]:
        assert dockerignored(path), path
    assert dockerignored("shared/__pycache__/app.cpython-311.pyc")
    assert dockerignored("deploy/compose.yaml")


def test_dockerfile_copies_existing_files_and_runs_as_designed() -> None:
    instructions = dockerfile_instructions()
    text = DOCKERFILE.read_text()
    stages = [args for op, args in instructions if op == "FROM"]
    assert len(stages) >= 2, "multi-stage"
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.MULTILINE)
    assert all(stage.startswith("${PYTHON_IMAGE}") for stage in stages)
    for op, args in instructions:
        if op != "COPY":
            continue
        words = shlex.split(args)
        if any(word.startswith("--from=") for word in words):
            continue
        sources = [word for word in words if not word.startswith("--")][:-1]
        assert sources, args
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert not dockerignored(source), f"COPY {source}: excluded by {DOCKERIGNORE.name}"
    final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    ops = dict(final)
    assert ops["USER"].split(":")[0] not in ("0", "root")
    assert ops["EXPOSE"] == "8000"
    assert "/healthz" in ops["HEALTHCHECK"]
    assert ops["ENTRYPOINT"] == '["docker-entrypoint"]'
    assert "SERVICE=${SERVICE}" in ops["ENV"]
    assert "ARG" in ops
    assert ops["ARG"].startswith("SERVICE")
    # The dev extra is never installed; the lock only pins (-c) the runtime dependencies.
    assert "[dev]" not in text
    assert "-c requirements.lock" in text
    assert "-r requirements.lock" not in text
    for service in SERVICES:
        assert re.search(rf"\b{service}\b", text), f"{service} missing from the Dockerfile"
        assert re.search(rf"\b{service}\b", ENTRYPOINT.read_text()), service


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def test_the_lock_pins_every_runtime_dependency() -> None:
    """The image installs pyproject's dependencies constrained by the lock: all must be pinned."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {
        _name(line)
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    }
    assert {_name(d) for d in project["dependencies"]} <= pinned


def test_the_entrypoint_refuses_an_unknown_service() -> None:
    subprocess.run(["sh", "-n", ENTRYPOINT], check=True)
    assert os.access(ENTRYPOINT, os.X_OK)
    for args in (["serve"], ["migrate"]):
        result = subprocess.run(
            ["sh", ENTRYPOINT, *args],
            env={"PATH": os.environ["PATH"], "SERVICE": "billing"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 64, result.stderr
        assert "set SERVICE" in result.stderr


@pytest.fixture
def scratch_database(pg: Postgres | ExternalPostgres) -> Iterator[str]:
    """An empty database, as CloudNativePG's Database resource leaves it for the Job."""
    name = f"t_{uuid.uuid4().hex}_deploy"
    asyncio.run(create_database(pg.url(), name))
    try:
        yield pg.url(name)
    finally:
        asyncio.run(drop_database(pg.url(), name))


def test_the_image_entrypoint_migrates_then_serves(
    scratch_database: str,
    nats_server: NatsServer | ExternalNats,
    nats_namespace: str,
    tmp_path: Path,
) -> None:
    """The migration Job's and the Deployment's commands, run with this environment's Python."""
    prefix = ENTRYPOINT_SERVICE.upper()
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "SERVICE": ENTRYPOINT_SERVICE,
        f"{prefix}_DATABASE_URL": scratch_database,
    }
    migrate = subprocess.run(
        ["sh", ENTRYPOINT, "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr

    async def revision() -> str | None:
        engine = create_async_engine(scratch_database)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
                return result.scalar_one_or_none()
        finally:
            await engine.dispose()

    assert asyncio.run(revision())

    port, metrics_port = free_port(), free_port()
    env |= {
        "PORT": str(port),
        f"{prefix}_METRICS_PORT": str(metrics_port),
        f"{prefix}_NATS_URL": nats_server.url,
        f"{prefix}_NATS_NAMESPACE": nats_namespace,
        f"{prefix}_NATS_NKEY_SEED_FILE": str(nats_server.seed_file(ENTRYPOINT_SERVICE)),
        f"{prefix}_JWKS_FILE": str(ensure_dev_keys(tmp_path / "keys")),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["sh", ENTRYPOINT], env=env, stdout=out, stderr=out)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=3) as client:
            for _ in range(300):
                assert process.poll() is None, log.read_text()
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                pytest.fail(f"not ready: {log.read_text()}")
            assert client.get("/healthz").status_code == 200
            # /metrics is on its own port, not on the API's.
            assert client.get("/metrics").status_code == 404
            metrics = client.get(f"http://127.0.0.1:{metrics_port}/metrics")
            assert metrics.status_code == 200
            assert "# TYPE" in metrics.text
        # `exec` in the entry point: the signal reaches uvicorn itself, which stops in time.
        process.send_signal(signal.SIGTERM)
        process.wait(25)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
