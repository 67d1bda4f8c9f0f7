"""The suite's Kafka topics as `deploy/base/topics.yaml` declares them (the one list), created
on the dev or test broker with the declared partition counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import yaml

from devstack.catalogue import ROOT
from servicekit.kafka import ensure_topics

TOPICS_FILE = ROOT / "deploy" / "base" / "topics.yaml"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int


@cache
def declared_topics() -> tuple[TopicSpec, ...]:
    documents = yaml.safe_load_all(TOPICS_FILE.read_text())
    return tuple(
        TopicSpec(doc["metadata"]["name"], int(doc["spec"]["partitions"]))
        for doc in documents
        if doc and doc.get("kind") == "KafkaTopic"
    )


async def create_declared_topics(bootstrap: str) -> list[str]:
    """Creates every declared topic the broker lacks (existing ones are left as they are);
    returns the names created."""
    by_partitions: dict[int, list[str]] = defaultdict(list)
    for topic in declared_topics():
        by_partitions[topic.partitions].append(topic.name)
    created: list[str] = []
    for partitions, names in by_partitions.items():
        created += await ensure_topics(bootstrap, names, partitions=partitions)
    return created
