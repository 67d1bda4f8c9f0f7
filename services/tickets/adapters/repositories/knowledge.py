"""Articles, their search, and readers' feedback."""

from __future__ import annotations

from sqlalchemy import Row, any_, delete, desc, func, insert, literal, select, text, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Text

from services.tickets.adapters.tables import article_feedback, articles
from services.tickets.domain.knowledge import Article, ArticleState

_HELPFUL = (
    select(func.count())
    .where(article_feedback.c.article_id == articles.c.id, article_feedback.c.helpful)
    .scalar_subquery()
)
_NOT_HELPFUL = (
    select(func.count())
    .where(article_feedback.c.article_id == articles.c.id, ~article_feedback.c.helpful)
    .scalar_subquery()
)
_COLUMNS = (articles, _HELPFUL.label("helpful_count"), _NOT_HELPFUL.label("not_helpful_count"))


def _article(row: Row) -> Article:  # type: ignore[type-arg]
    return Article(
        id=row.id,
        title=row.title,
        body=row.body,
        category=row.category,
        tags=list(row.tags),
        service_type_ids=list(row.service_type_ids),
        state=ArticleState(row.state),
        helpful_count=row.helpful_count,
        not_helpful_count=row.not_helpful_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_SCORE = text(
    "(SELECT count(*) FROM unnest(articles.title_terms) AS t WHERE t = ANY(:wanted)) * 3"
    " + (SELECT count(*) FROM unnest(articles.terms) AS t WHERE t = ANY(:wanted))"
)


class KnowledgeRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, article: Article) -> Article:
        await self._db.execute(insert(articles).values(**self._values(article)))
        found = await self.get(article.id, published_only=False)
        assert found is not None
        return found

    async def get(self, article_id: str, *, published_only: bool) -> Article | None:
        query = select(*_COLUMNS).where(articles.c.id == article_id)
        if published_only:
            query = query.where(articles.c.state == ArticleState.PUBLISHED.value)
        row = (await self._db.execute(query)).first()
        return _article(row) if row else None

    async def save(self, article: Article) -> Article:
        await self._db.execute(
            update(articles)
            .where(articles.c.id == article.id)
            .values(updated_at=func.now(), **self._values(article))
        )
        found = await self.get(article.id, published_only=False)
        assert found is not None
        return found

    async def remove(self, article_id: str) -> None:
        await self._db.execute(
            delete(article_feedback).where(article_feedback.c.article_id == article_id)
        )
        await self._db.execute(delete(articles).where(articles.c.id == article_id))

    async def search(
        self,
        *,
        query_terms: list[str],
        state: ArticleState | None,
        category: str,
        tag: str,
        service_type_id: str,
        offset: int,
        limit: int,
    ) -> list[Article]:
        conditions = []
        if state is not None:
            conditions.append(articles.c.state == state.value)
        if category:
            conditions.append(articles.c.category == category)
        if tag:
            conditions.append(literal(tag) == any_(articles.c.tags))
        if service_type_id:
            conditions.append(literal(service_type_id) == any_(articles.c.service_type_ids))
        query = select(*_COLUMNS).where(true(), *conditions)
        if query_terms:
            wanted = literal(query_terms, ARRAY(Text))
            score = _SCORE.bindparams(wanted=query_terms)
            query = query.where(articles.c.terms.op("&&")(wanted)).order_by(
                desc(score), articles.c.updated_at.desc()
            )
        else:
            query = query.order_by(articles.c.updated_at.desc())
        rows = await self._db.execute(query.order_by(articles.c.id).offset(offset).limit(limit))
        return [_article(r) for r in rows]

    async def record_feedback(self, article_id: str, user_id: str, helpful: bool) -> None:
        statement = upsert(article_feedback).values(
            article_id=article_id, user_id=user_id, helpful=helpful
        )
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=["article_id", "user_id"],
                set_={"helpful": statement.excluded.helpful},
            )
        )

    @staticmethod
    def _values(article: Article) -> dict[str, object]:
        return {
            "id": article.id,
            "title": article.title,
            "body": article.body,
            "category": article.category,
            "tags": article.tags,
            "service_type_ids": article.service_type_ids,
            "state": article.state.value,
            "terms": article.all_terms,
            "title_terms": article.title_terms,
        }
