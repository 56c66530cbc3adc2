"""Index kinds (flat, IVF, HNSW) on real FAISS with small fake vectors: choice, building,
search, filters, removal, files; and the store keeping the kind across ingests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot import vectors
from bot.index.embedded import EmbeddedIndex
from bot.ingest import ingest
from tests.conftest import write_article
from tests.fakes import FakeEncoder

DIM = 32
N = 8000


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 30 centres, like topics in an archive."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((30, DIM))
    x = centres[rng.integers(0, 30, n)] + 0.6 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def built(kind: str, x: np.ndarray, ids: np.ndarray) -> vectors.Index:
    sample = x[: vectors.train_size(kind, len(x))]
    batches = [(ids[i : i + 700], x[i : i + 700]) for i in range(0, len(x), 700)]
    return vectors.build(kind, DIM, len(x), sample, batches)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return clustered(N), np.arange(N, dtype=np.int64) * 7 + 100  # ids unlike positions


# -- choosing ----------------------------------------------------------------------
def test_auto_is_exact_up_to_the_threshold_then_ivf_and_keeps_an_ann_kind() -> None:
    assert vectors.choose("auto", 10) == "flat"
    assert vectors.choose("auto", vectors.FLAT_MAX) == "flat"
    assert vectors.choose("auto", vectors.FLAT_MAX + 1) == "ivf"
    assert vectors.choose("auto", vectors.FLAT_MAX + 1, current="flat") == "ivf"
    # Hysteresis: an IVF (or HNSW chosen by hand) stays until well below the threshold.
    assert vectors.choose("auto", vectors.FLAT_MAX - 1, current="ivf") == "ivf"
    assert vectors.choose("auto", vectors.FLAT_MAX - 1, current="hnsw") == "hnsw"
    assert vectors.choose("auto", vectors.FLAT_MAX // 2, current="ivf") == "flat"
    for kind in vectors.KINDS:
        assert vectors.choose(kind, 5, current="ivf") == kind
    with pytest.raises(ValueError, match="unknown index type 'annoy'"):
        vectors.choose("annoy", 5)


def test_ivf_lists_grow_with_the_square_root_and_always_have_training_points() -> None:
    assert vectors.nlist_for(0) == 1
    assert vectors.nlist_for(100) == 2  # 100 // 40
    assert vectors.nlist_for(1_000_000) == 4096
    assert vectors.nlist_for(100_000) == 1024
    for n in (1, 50, 999, 123_456):
        assert vectors.nlist_for(n) * vectors.IVF_TRAIN_PER_LIST <= max(n, 40)
    assert vectors.nprobe_for(4096) == 128
    assert vectors.nprobe_for(256) == 32
    assert vectors.nprobe_for(8) == 8  # few lists: search them all


def test_plan_rebuilds_when_the_kind_or_the_lists_no_longer_fit(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    x, ids = data
    flat = built("flat", x, ids)
    assert vectors.plan(flat, "auto", N) is None
    assert vectors.plan(flat, "auto", vectors.FLAT_MAX + 1) == "ivf"
    assert vectors.plan(flat, "hnsw", N) == "hnsw"
    ivf = built("ivf", x, ids)
    assert vectors.plan(ivf, "ivf", N) is None
    assert vectors.plan(ivf, "auto", N) == "flat"  # far below the threshold
    assert vectors.plan(ivf, "ivf", 16 * N) == "ivf"  # outgrew its lists
    assert vectors.plan(ivf, "flat", N) == "flat"
    assert vectors.plan(ivf, "auto", 0) == "flat"


# -- each kind: build, search, filter, remove, save, load ----------------------------
@pytest.mark.parametrize("kind", vectors.KINDS)
def test_each_kind_finds_neighbours_like_exact_search(
    kind: str, data: tuple[np.ndarray, np.ndarray]
) -> None:
    x, ids = data
    index = built(kind, x, ids)
    assert vectors.kind(index) == kind
    assert vectors.live_count(index) == N
    queries = clustered(40, seed=1)
    hits = 0
    for q in queries:
        exact = ids[np.argsort(-(x @ q))[:10]]
        scores, found = vectors.search(index, q, 10)
        assert len(found) == 10 and np.all(np.diff(scores) <= 1e-6)  # best first
        hits += len(set(found.tolist()) & set(exact.tolist()))
    assert hits / (40 * 10) >= 0.9, f"{kind}: recall@10 {hits / 400:.2f}"
    _, top = vectors.search(index, x[5], 1)
    assert top.tolist() == [ids[5]]  # a stored vector finds itself


@pytest.mark.parametrize("kind", vectors.KINDS)
@pytest.mark.parametrize("allowed_count", [25, 6000])
def test_filters_return_only_allowed_ids_and_the_best_of_them(
    kind: str, allowed_count: int, data: tuple[np.ndarray, np.ndarray]
) -> None:
    """A small allowed set is searched exactly; a large one through the index."""
    x, ids = data
    index = built(kind, x, ids)
    if kind != "flat":  # both paths are tested for IVF and HNSW
        assert (allowed_count <= vectors.EXACT_FILTER_MAX[kind]) == (allowed_count == 25)
    rng = np.random.default_rng(3)
    pick = np.sort(rng.choice(N, allowed_count, replace=False))
    allowed = ids[pick]
    q = clustered(1, seed=9)[0]
    _, found = vectors.search(index, q, 10, allowed)
    assert len(found) == 10 and set(found.tolist()) <= set(allowed.tolist())
    exact = allowed[np.argsort(-(x[pick] @ q))[:10]]
    assert len(set(found.tolist()) & set(exact.tolist())) >= 8


@pytest.mark.parametrize("kind", vectors.KINDS)
def test_removed_ids_are_never_returned_and_stay_removed_after_save_and_load(
    kind: str, data: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    x, ids = data
    index = built(kind, x, ids)
    gone = ids[:300].tolist()
    vectors.remove(index, gone)
    assert vectors.live_count(index) == N - 300
    for q in x[:20]:  # each removed vector's own query
        _, found = vectors.search(index, q, 20)
        assert not set(found.tolist()) & set(gone)
    # A filter naming removed ids (a reader's view older than the index) still skips them.
    allowed = np.concatenate([ids[:300], ids[1000:1050]])
    _, found = vectors.search(index, x[0], 20, allowed)
    assert found.tolist() and set(found.tolist()) <= set(ids[1000:1050].tolist())
    path = tmp_path / "v.faiss"
    vectors.save(index, path)
    loaded = vectors.load(path)
    assert vectors.kind(loaded) == kind and vectors.live_count(loaded) == N - 300
    _, found = vectors.search(loaded, x[0], 20)
    assert not set(found.tolist()) & set(gone)
    _, top = vectors.search(loaded, x[400], 1)
    assert top.tolist() == [ids[400]]
    assert not list(tmp_path.glob(".*tmp*"))  # written under a temporary name, renamed


def test_hnsw_keeps_tombstones_until_a_fifth_is_removed_then_plans_a_rebuild(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    x, ids = data
    index = built("hnsw", x, ids)
    vectors.remove(index, ids[:1500].tolist())
    assert vectors.tombstones(index) == 1500 and index.ntotal == N
    assert vectors.plan(index, "hnsw", N - 1500) is None  # under a fifth
    vectors.remove(index, ids[1500:1700].tolist())
    assert vectors.tombstones(index) == 1700
    assert vectors.plan(index, "hnsw", N - 1700) == "hnsw"
    assert "1700 removed" in vectors.describe(index)


def test_ivf_small_filter_with_an_id_missing_from_the_index_falls_back_to_the_index(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    """The database may list a chunk a moment before its index file is loaded."""
    x, ids = data
    index = built("ivf", x[:1000], ids[:1000])
    allowed = np.asarray([ids[3], ids[4], 10**9], np.int64)
    _, found = vectors.search(index, x[3], 5, allowed)
    assert set(found.tolist()) <= {ids[3], ids[4]} and ids[3] in found


def test_empty_index_searches_to_nothing() -> None:
    for kind in vectors.KINDS:
        empty = vectors.build(kind, DIM, 0, clustered(50), [])
        scores, found = vectors.search(empty, clustered(1)[0], 10)
        assert len(found) == 0 and len(scores) == 0


# -- the store keeps the chosen kind across ingests and removals ----------------------
ARTICLES = 12


def write_archive(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    words = "council budget storm river school hospital strike court vote road".split()
    for i in range(ARTICLES):
        body = [
            f"The {words[i % 10]} story number {i} says {words[(i + j) % 10]} matters {j}."
            for j in range(6)
        ]
        write_article(folder, f"a{i:02d}.txt", f"Story {i} about {words[i % 10]}", *body)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_store_builds_the_configured_kind_and_removals_reach_it(
    kind: str, tmp_path: Path, encoder: FakeEncoder
) -> None:
    archive = tmp_path / "archive"
    write_archive(archive)
    store = EmbeddedIndex.open(
        tmp_path / "index", fingerprint=encoder.fingerprint, dim=encoder.dim, create=True,
        index_type=kind,
    )  # fmt: skip
    report = ingest([str(archive)], store, encoder)
    assert report.added == ARTICLES
    index = store.search_index()
    assert vectors.kind(index) == kind
    assert vectors.live_count(index) == store.count("chunks")

    (archive / "a03.txt").unlink()
    ingest([str(archive)], store, encoder, prune=True)
    index = store.search_index()
    assert vectors.kind(index) == kind
    assert vectors.live_count(index) == store.count("chunks")
    live = set(store.chunk_ids_of(store.article_ids()))
    _, found = vectors.search(index, encoder.encode(["Story 3 about strike"])[0], 100)
    assert set(found.tolist()) <= live

    # A reader of another setting still loads it; the next commit converts it.
    converted = EmbeddedIndex.open(tmp_path / "index", index_type="flat")
    write_article(archive, "new.txt", "A new story", "A new story about the river crossing.")
    ingest([str(archive)], converted, encoder)
    assert vectors.kind(converted.search_index()) == "flat"
    assert vectors.live_count(converted.search_index()) == converted.count("chunks")
    store.close()
    converted.close()


def test_missing_vector_file_is_rebuilt_as_the_configured_kind(
    tmp_path: Path, encoder: FakeEncoder
) -> None:
    archive = tmp_path / "archive"
    write_archive(archive)
    store = EmbeddedIndex.open(
        tmp_path / "index", fingerprint=encoder.fingerprint, dim=encoder.dim, create=True,
        index_type="ivf",
    )  # fmt: skip
    ingest([str(archive)], store, encoder)
    store.vector_path(store.generation()).unlink()
    reader = EmbeddedIndex.open(tmp_path / "index", index_type="ivf")
    assert vectors.kind(reader.search_index()) == "ivf"
    assert vectors.live_count(reader.search_index()) == reader.count("chunks")
    store.close()
    reader.close()
