"""The kustomize overlays render, every object validates against its schema (Kubernetes core
schemas, or the vendored Strimzi/CNPG CRDs), and the workloads follow our deploy rules."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache

import kubernetes_validate
import pytest
import yaml

from tests.support.crds import CRDS, ROOT, crd_errors

OVERLAYS = ["dev", "prod"]
KUBERNETES_VERSION = "1.32"


@cache
def render(overlay: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render deploy/ (make test installs it)"
    output = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "deploy" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates(overlay):
    assert CRDS.is_dir(), f"vendored CRDs not found at {CRDS}"
    for resource in render(overlay):
        errors = crd_errors(resource)
        if errors is None:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        else:
            assert errors == [], f"{resource['kind']}/{resource['metadata']['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workloads_use_the_one_image_as_non_root_and_servers_have_probes(overlay):
    workloads = [r for r in render(overlay) if r["kind"] in ("Deployment", "Job")]
    assert {w["metadata"]["name"] for w in workloads} >= {
        "gateway",
        "identity",
        "identity-outbox-relay",
        "identity-migrate",
    }
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["image"].startswith("registry.example.com/ticketing/ticketing-suite:")
            if any(p["name"] in ("grpc", "http", "health") for p in container.get("ports", [])):
                assert "readinessProbe" in container and "livenessProbe" in container


def test_gateway_routes_to_every_deployed_service():
    import json

    config = next(r for r in render("prod") if r["kind"] == "ConfigMap")
    upstreams = json.loads(config["data"]["TICKETING_GATEWAY_UPSTREAMS"])
    services = {r["metadata"]["name"] for r in render("prod") if r["kind"] == "Service"}
    assert upstreams
    assert {address.split(":")[0] for address in upstreams.values()} <= services


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_database_is_created(overlay):
    cluster = next(r for r in render(overlay) if r["kind"] == "Cluster")
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    created = {initdb["database"]} | {sql.split()[2] for sql in initdb["postInitSQL"]}
    assert created == {"identity", "tickets", "dispatch", "notify", "reporting"}


def test_a_bad_custom_resource_is_caught():
    topic = next(r for r in render("prod") if r["kind"] == "KafkaTopic")
    broken = {**topic, "spec": {**topic["spec"], "replicationFactor": 3}}
    assert crd_errors(broken)


def test_on_demand_resync_jobs_validate_and_run_each_snapshot_command():
    jobs = [d for d in yaml.safe_load_all((ROOT / "deploy" / "jobs" / "resync.yaml").read_text())]
    for job in jobs:
        kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)
    commands = {j["spec"]["template"]["spec"]["containers"][0]["command"][-1] for j in jobs}
    assert commands == {
        "services.identity.entrypoints.publish_snapshot",
        "services.tickets.entrypoints.publish_snapshot",
    }


# Read whole by every gRPC server (servicekit.auth.revocations), never by an idempotent
# consumer, so nothing is dead-lettered from it; compacted by subject and kept a day.
REVOCATIONS = "ticketing.identity.access.v1"


def test_entity_topics_are_compacted_and_every_topic_has_a_dead_letter_twin():
    topics = {t["metadata"]["name"]: t for t in render("prod") if t["kind"] == "KafkaTopic"}
    assert REVOCATIONS in topics and f"{REVOCATIONS}.dlt" not in topics
    for name, topic in topics.items():
        policy = topic["spec"]["config"]["cleanup.policy"]
        if name == REVOCATIONS:
            assert policy == "compact,delete"
            continue
        if name.endswith(".dlt"):
            continue
        assert f"{name}.dlt" in topics
        entity = name.startswith("ticketing.identity.") or name == "ticketing.tickets.catalog.v1"
        assert policy == ("compact" if entity else "delete"), name


def test_gateway_upstreams_route_every_service_of_every_deployed_service():
    from devstack.catalogue import SERVICES

    config = next(
        r
        for r in render("prod")
        if r["kind"] == "ConfigMap" and "TICKETING_GATEWAY_UPSTREAMS" in r["data"]
    )
    upstreams = json.loads(config["data"]["TICKETING_GATEWAY_UPSTREAMS"])
    for spec in SERVICES:
        for name in spec.proto_services:
            assert upstreams.get(name, "").startswith(f"{spec.name}:"), name
