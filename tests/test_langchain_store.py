"""LangChain's standard suites (langchain-tests) against the adapters, plus what the
suites don't cover: metadata filters, scores, ids of ingested articles, the retriever."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import (
    RetrieversIntegrationTests,
    VectorStoreIntegrationTests,
)

from bot.config import Settings
from bot.index import IndexReader, open_index
from bot.ingest import ingest
from bot.langchain_store import NewsbotRetriever, NewsbotVectorStore, _identity
from tests.conftest import write_article
from tests.fakes import FakeEncoder


class TestNewsbotVectorStoreStandard(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, backend_settings: Settings) -> Iterator[VectorStore]:  # type: ignore[override]
        embedding = self.get_embeddings()
        fingerprint, dim = _identity(embedding)
        store = open_index(backend_settings, fingerprint=fingerprint, dim=dim, create=True)
        vs = NewsbotVectorStore(store, embedding)
        yield vs
        store.close()


def _retriever_store(settings: Settings, folder: Path) -> IndexReader:
    encoder = FakeEncoder()
    store = open_index(settings, fingerprint=encoder.fingerprint, dim=encoder.dim, create=True)
    folder.mkdir(exist_ok=True)
    for i, (head, body) in enumerate(
        [
            ("Mayor resigns", "The mayor resigned on Monday. She cited health reasons."),
            ("Zoo panda", "A giant panda arrived at the city zoo on Tuesday."),
            ("Budget passes", "The council passed the budget after a long debate."),
            ("Bridge closes", "The old bridge closed for repairs on Wednesday."),
        ]
    ):
        write_article(folder, f"a{i}.txt", head, body, Source="Gazette")
    ingest([str(folder)], store, encoder)
    return store


class TestNewsbotRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _index(self, backend_settings: Settings, tmp_path: Path) -> Iterator[None]:
        self._store = _retriever_store(backend_settings, tmp_path / "articles")
        yield
        self._store.close()

    @property
    def retriever_constructor(self) -> type[NewsbotRetriever]:
        return NewsbotRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"store": self._store, "encoder": FakeEncoder()}

    @property
    def retriever_query_example(self) -> str:
        return "Why did the mayor resign?"


@pytest.fixture
def vs(store: IndexReader, encoder: FakeEncoder) -> NewsbotVectorStore:
    return NewsbotVectorStore(store, encoder)


def test_metadata_filters_and_scores(vs: NewsbotVectorStore) -> None:
    vs.add_documents(
        [
            Document("Mayor resigned Monday.", metadata={"outlet": "Gazette", "n": 1}),
            Document("Mayor resigned abruptly.", metadata={"outlet": "Herald", "n": 2}),
            Document("Panda arrived zoo.", metadata={"outlet": "Herald", "n": 3}),
        ],
        ids=["g1", "h1", "h2"],
    )
    found = vs.similarity_search_with_score("mayor resigned", k=3, filter={"outlet": "Herald"})
    assert [d.id for d, _ in found] == ["h1", "h2"]
    assert found[0][1] > found[1][1]
    assert [d.id for d in vs.similarity_search("mayor", k=5, filter={"n": [1, 3]})] == [
        "g1",
        "h2",
    ]
    assert vs.similarity_search("mayor", filter=lambda m: m.get("n") == 2)[0].id == "h1"
    relevance = vs.similarity_search_with_relevance_scores("Mayor resigned Monday.", k=1)
    assert relevance[0][0].id == "g1" and 0.99 < relevance[0][1] <= 1.0


def test_ingested_articles_are_documents_with_their_metadata(
    vs: NewsbotVectorStore, store: IndexReader, encoder: FakeEncoder, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    path = write_article(
        folder,
        "mayor.txt",
        "Mayor resigns",
        "The mayor resigned on Monday.",
        Source="Gazette",
        Published="2018-02-05T10:00:00-05:00",
    )
    ingest([str(folder)], store, encoder)
    (doc,) = vs.similarity_search("mayor resigned", k=1)
    assert doc.id == str(path.resolve())
    assert doc.metadata["outlet"] == "Gazette"
    assert doc.metadata["published"] == "2018-02-05T10:00:00-05:00"
    assert doc.page_content == "The mayor resigned on Monday."
    assert vs.get_by_ids([doc.id or ""]) == [doc]
    vs.delete([doc.id or ""])
    assert store.count("articles") == 0


def test_retriever_returns_passages_with_offsets(
    encoder: FakeEncoder, backend_settings: Settings, tmp_path: Path
) -> None:
    rstore = _retriever_store(backend_settings, tmp_path / "articles")
    docs = NewsbotRetriever(store=rstore, encoder=encoder, k=2).invoke("mayor resigned health")
    assert len(docs) == 2
    top = docs[0]
    assert top.metadata["headline"] == "Mayor resigns"
    body = rstore.articles([top.metadata["article_id"]])[top.metadata["article_id"]].body
    assert body[top.metadata["start"] : top.metadata["end"]] == top.page_content
    rstore.close()
