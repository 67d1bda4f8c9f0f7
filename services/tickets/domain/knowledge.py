"""Knowledge-base articles and their search terms.

PostgreSQL's text search does not split Chinese into words, so articles carry their own
terms: Chinese runs as single characters and pairs of neighbouring characters (bigrams), other
text as lower-cased words. A query is split the same way and matched by overlap, title terms
counting triple — good for 中文 and English alike, with no dictionary to install."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z]+(?:[-_.][0-9a-z]+)*")
_STOP = frozenset(
    {"a", "an", "and", "the", "of", "to", "in", "on", "is", "it", "for", "my", "i", "how"}
)


class ArticleState(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass
class Article:
    id: str
    title: str
    body: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    service_type_ids: list[str] = field(default_factory=list)
    state: ArticleState = ArticleState.DRAFT
    helpful_count: int = 0
    not_helpful_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def title_terms(self) -> list[str]:
        return terms(self.title)

    @property
    def all_terms(self) -> list[str]:
        return terms(" ".join([self.title, self.body, self.category, *self.tags]))


def terms(text: str) -> list[str]:
    """Search terms of a text, in first-seen order, without repeats."""
    text = text.lower()
    found: list[str] = []
    for run in _CJK.findall(text):
        found.extend(run)
        found.extend(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(_CJK.sub(" ", text)):
        if word not in _STOP:
            found.append(word)
            if len(word) > 3 and word.endswith("s"):
                found.append(word[:-1])
    return list(dict.fromkeys(found))
