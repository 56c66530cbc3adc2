"""FAISS behind a few functions: build, add, remove, search, save atomically, load.

Vectors are unit length, so inner product equals cosine similarity. Three kinds of index:

- `flat`: exact search over every vector; the default up to FLAT_MAX vectors.
- `ivf`: an inverted file (k-means lists, `nprobe` of them searched) over 8-bit scalar
  quantized codes: a quarter of the memory of `flat`, milliseconds at a million vectors.
  Removal is native. The automatic choice above FLAT_MAX.
- `hnsw`: a navigable small-world graph over 8-bit codes, the fastest search, but FAISS
  can't remove from it: a removed vector becomes a tombstone (its id in the id map is set
  to -1, so it is written with the index and never returned), and the index is rebuilt
  when tombstones pass HNSW_MAX_TOMBSTONES of it.

`plan` says when an index should be rebuilt as another kind (the archive grew past
FLAT_MAX, an IVF outgrew its lists, tombstones piled up); the store rebuilds from the
vectors kept in SQLite. Files are FAISS's own binary format (no pickle) and replace the
old file by rename.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

Index = Any  # faiss.Index; faiss is imported lazily so `newsbot --help` stays fast

KINDS = ("flat", "ivf", "hnsw")
INDEX_TYPES = ("auto", *KINDS)
FLAT_MAX = 100_000  # exact search stays fast enough up to here (bench/vectors_scale.py)
HNSW_M = 32  # graph neighbours per vector
HNSW_EF_CONSTRUCTION = 64
HNSW_EF_SEARCH = 512  # recall@10 0.97-0.99 at 1M news vectors (bench/vectors_scale.py)
HNSW_EF_FILTER_MAX = 1024  # beam width cap when a filter leaves a share of the graph
HNSW_MAX_TOMBSTONES = 0.2  # rebuild when this share of the graph is removed vectors
IVF_TRAIN_PER_LIST = 40  # k-means sample: FAISS wants at least 39 points per list
IVF_TRAIN_MAX = 164_000  # ... but no more (enough for 4096 lists): bounds the build time
# Lists searched per question, as a share of all lists, and at least IVF_NPROBE_MIN:
# recall@10 0.98-0.99 at 100k and 1M news vectors in bench/vectors_scale.py.
IVF_NPROBE_SHARE = 1 / 32
IVF_NPROBE_MIN = 32
# A filter that allows at most this many vectors is searched exactly over just those
# (an HNSW beam finds few members of a small allowed set); larger ones search the index
# with a selector and more effort. Chosen from bench/vectors_scale.py at 1M vectors, where
# reading codes back one by one starts to cost more than the selector's search.
EXACT_FILTER_MAX = {"ivf": 2_000, "hnsw": 5_000}
_TOMBSTONE = -1


def new_index(dim: int) -> Index:
    faiss = _faiss()

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def kind(index: Index) -> str:
    """'flat', 'ivf' or 'hnsw'."""
    faiss = _faiss()

    inner = _inner(index)
    if isinstance(inner, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(inner, faiss.IndexIVF):
        return "ivf"
    return "flat"


def _inner(index: Index) -> Index:
    faiss = _faiss()

    return faiss.downcast_index(index.index) if hasattr(index, "id_map") else index


def tombstones(index: Index) -> int:
    """Removed vectors still in the index (only HNSW keeps them)."""
    if kind(index) != "hnsw" or index.ntotal == 0:
        return 0
    faiss = _faiss()

    return int(np.count_nonzero(faiss.vector_to_array(index.id_map) == _TOMBSTONE))


def live_count(index: Index) -> int:
    return int(index.ntotal) - tombstones(index)


def describe(index: Index) -> str:
    """One line for logs and `stats`: kind, size and search effort."""
    k = kind(index)
    if k == "ivf":
        inner = _inner(index)
        return f"ivf ({index.ntotal} vectors, {inner.nlist} lists, nprobe {inner.nprobe})"
    if k == "hnsw":
        inner = _inner(index)
        dead = tombstones(index)
        return (
            f"hnsw ({index.ntotal - dead} vectors, {dead} removed, M {HNSW_M}, "
            f"efSearch {inner.hnsw.efSearch})"
        )
    return f"flat ({index.ntotal} vectors)"


# -- choosing and building ---------------------------------------------------------
def choose(setting: str, n: int, current: str | None = None) -> str:
    """The kind of index for `n` vectors. `auto` keeps exact search up to FLAT_MAX, then
    IVF; it never switches between IVF and HNSW by itself, and it goes back to flat only
    well below the threshold, so an archive near FLAT_MAX isn't rebuilt back and forth."""
    if setting not in INDEX_TYPES:
        raise ValueError(f"unknown index type {setting!r}; use one of {', '.join(INDEX_TYPES)}")
    if setting != "auto":
        return setting
    if current in ("ivf", "hnsw"):
        return current if n > FLAT_MAX // 2 else "flat"
    return "flat" if n <= FLAT_MAX else "ivf"


def nlist_for(n: int) -> int:
    """IVF lists for n vectors: about 4·√n (a power of two), with enough points to train."""
    if n <= 0:
        return 1
    target = 2 ** round(math.log2(max(1.0, 4 * math.sqrt(n))))
    return max(1, min(target, n // IVF_TRAIN_PER_LIST, 65_536))


def nprobe_for(nlist: int) -> int:
    """Lists searched per question: a share of them, and never fewer than IVF_NPROBE_MIN."""
    return min(nlist, max(IVF_NPROBE_MIN, math.ceil(nlist * IVF_NPROBE_SHARE)))


def train_size(kind_: str, n: int) -> int:
    """How many vectors `build` wants as its training sample."""
    if kind_ == "ivf":
        return min(n, max(IVF_TRAIN_PER_LIST * nlist_for(n), 10_000), IVF_TRAIN_MAX)
    if kind_ == "hnsw":
        return min(n, 20_000)  # only the 8-bit codes' ranges are trained
    return 0


def plan(index: Index, setting: str, n: int) -> str | None:
    """The kind to rebuild `index` as, now that it holds `n` live vectors; None: keep it."""
    current = kind(index)
    if n == 0:
        return None if current == "flat" else "flat"  # nothing to train an index on yet
    target = choose(setting, n, current)
    if target != current:
        return target
    if current == "ivf":
        # Lists trained for a much smaller (or larger) archive: each search scans too much.
        nlist = _inner(index).nlist
        if nlist_for(n) >= 4 * nlist or 4 * nlist_for(n) <= nlist:
            return "ivf"
    if current == "hnsw" and tombstones(index) > HNSW_MAX_TOMBSTONES * index.ntotal:
        return "hnsw"
    return None


def build(
    kind_: str,
    dim: int,
    n: int,
    sample: np.ndarray,
    batches: Iterable[tuple[np.ndarray, np.ndarray]],
) -> Index:
    """A new index of that kind for `n` vectors: trained on `sample`, then filled from
    `batches` of (ids, vectors), so a million vectors never sit in memory twice."""
    faiss = _faiss()

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # training and adding use every core
    if kind_ == "flat":
        index = new_index(dim)
    elif kind_ == "ivf":
        nlist = nlist_for(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        index.cp.niter = 10  # k-means iterations: more cost minutes and gain little recall
        index.cp.max_points_per_centroid = IVF_TRAIN_MAX  # we already sampled
        index.train(_f32(sample))
        # A hash table from id to list position: removal and exact filtered search by id.
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.nprobe = nprobe_for(nlist)
    elif kind_ == "hnsw":
        inner = faiss.IndexHNSWSQ(
            dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT
        )
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = HNSW_EF_SEARCH
        inner.train(_f32(sample))
        index = faiss.IndexIDMap2(inner)
    else:
        raise ValueError(f"unknown index kind {kind_!r}")
    for ids, vecs in batches:
        add(index, vecs, ids)
    return index


# -- changing ----------------------------------------------------------------------
def add(index: Index, vectors: np.ndarray, ids: np.ndarray) -> None:
    if len(ids):
        index.add_with_ids(_f32(vectors), np.ascontiguousarray(ids, np.int64))


def remove(index: Index, ids: list[int]) -> None:
    if not ids:
        return
    faiss = _faiss()

    k = kind(index)
    if k == "flat":
        index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, np.int64)))
    elif k == "ivf":
        # The hash-table direct map removes only by an explicit array of ids.
        arr = np.ascontiguousarray(ids, np.int64)
        index.remove_ids(faiss.IDSelectorArray(len(arr), faiss.swig_ptr(arr)))
    else:
        id_map = faiss.vector_to_array(index.id_map)
        id_map[np.isin(id_map, np.asarray(ids, np.int64))] = _TOMBSTONE
        faiss.copy_array_to_vector(id_map, index.id_map)
        index.construct_rev_map()


# -- searching ---------------------------------------------------------------------
def search(
    index: Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids) for one query vector; `allowed` restricts to those ids."""
    faiss = _faiss()

    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    # One query is searched on the calling thread alone. FAISS's OpenMP threads would gain
    # nothing here and, spinning after each search, they take the cores from PyTorch's own
    # OpenMP pool, which slows the next question's embedding down (bench/answer_latency.py).
    # (The setting is per calling thread in libgomp; `build` sets it back for its thread.)
    faiss.omp_set_num_threads(1)
    q = _f32(query.reshape(1, -1))
    kind_ = kind(index)
    if kind_ != "flat" and allowed is not None and len(allowed) <= EXACT_FILTER_MAX[kind_]:
        found = _exact_among(index, q[0], k, allowed)
        if found is not None:
            return found
    sel, bitmap = _selector(allowed) if allowed is not None else (None, None)
    share = 1.0 if allowed is None else max(len(allowed) / index.ntotal, 1e-6)
    params: Any
    if kind_ == "ivf":
        inner = _inner(index)
        # The nearest allowed vectors lie in the nearest lists, as without a filter; but a
        # filter leaves only a share of each list, so search enough lists to meet about
        # twice k allowed vectors (all lists for a very narrow filter).
        per_list = share * index.ntotal / inner.nlist
        wanted = math.ceil(2 * k / max(per_list, 1e-9))
        params = faiss.SearchParametersIVF(
            sel=sel, nprobe=min(inner.nlist, max(inner.nprobe, wanted))
        )
    elif kind_ == "hnsw":
        if sel is None:  # tombstones have id -1 in the id map: never return them
            sel = faiss.IDSelectorNot(faiss.IDSelectorBatch(np.asarray([_TOMBSTONE], np.int64)))
        ef = _inner(index).hnsw.efSearch
        params = faiss.SearchParametersHNSW(
            sel=sel, efSearch=min(HNSW_EF_FILTER_MAX, max(ef, k, math.ceil(ef / share)))
        )
    else:
        params = faiss.SearchParameters(sel=sel) if sel is not None else None
    scores, ids = index.search(q, k, params=params)
    del bitmap  # kept alive until here: the selector reads it during the search
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]


def _selector(allowed: np.ndarray) -> tuple[Any, np.ndarray | None]:
    """A FAISS selector of the allowed ids, and the buffer it reads (keep it alive).

    Ids come from a database counter, so a bitmap over them is small and much quicker to
    build than a hash set of a large filter's ids, and ids out of its range (HNSW
    tombstones, -1) are simply not members. Very sparse ids get the hash set."""
    faiss = _faiss()
    ids = np.ascontiguousarray(allowed, np.int64)
    top = int(ids.max()) + 1 if len(ids) else 1
    if top > 64 * len(ids) + 10_000_000:
        return faiss.IDSelectorBatch(ids), None
    bits = np.zeros(top, bool)
    bits[ids] = True
    bitmap = np.packbits(bits, bitorder="little")
    return faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), bitmap


def _exact_among(
    index: Index, query: np.ndarray, k: int, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Exact top-k among the allowed ids, from their stored codes; None if one is missing
    (the index is older than the filter's view of the database)."""
    ids = np.ascontiguousarray(allowed, np.int64)
    if len(ids) == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    try:
        stored = index.reconstruct_batch(ids)
    except RuntimeError:
        return None
    scores = stored @ query
    k = min(k, len(ids))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return scores[top].astype(np.float32), ids[top]


# -- files -------------------------------------------------------------------------
def save(index: Index, path: Path) -> None:
    """Write to a temporary file, flush it to disk, then rename over `path`."""
    faiss = _faiss()

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    faiss.write_index(index, str(tmp))
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def load(path: Path) -> Index:
    faiss = _faiss()

    if not path.exists():
        raise FileNotFoundError(path)
    return faiss.read_index(str(path))


def _faiss() -> Any:
    """FAISS, imported on first use; typed Any because its bundled stubs lag its API."""
    import faiss

    return faiss


def _f32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, np.float32)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
