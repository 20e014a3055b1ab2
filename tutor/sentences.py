"""Sentences weighed from their text when a question reads them.

The index stores the sentences' lengths, not their matrix (at 20k documents, 200 MB
less to write and to build): only the sentences of a question's leading passages are
ever scored, a few hundred at most, so a sentence's row is made from its text when
first asked for: its ``analysis.terms``, weighted as the build weighs a passage's
(``index.tf_idf``, the pivot of ``index.pivot_scale``), with the stored length, which
counts the word pairs a large index drops too.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import scipy.sparse as sp

from tutor import analysis
from tutor.index import Index, pivot_scale, tf_idf

PIVOT_SLOPE = 0.7  # as a passage's (build.PIVOT_SLOPE)
ROWS_KEPT = 20_000  # sentences' weighted terms remembered per index


def rows(index: Index, js) -> sp.csr_matrix:
    """Rows ``js`` of the sentences' TF-IDF matrix (sentences x terms, float32, each row's
    columns in order), in the order asked for."""
    made = _rows_of(index, [int(j) for j in js])
    indptr = np.zeros(len(made) + 1, dtype=np.int64)
    np.cumsum([len(c) for c, _ in made], out=indptr[1:])
    indices = np.concatenate([c for c, _ in made]) if made else np.zeros(0, dtype=np.int32)
    data = np.concatenate([w for _, w in made]) if made else np.zeros(0, dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(made), index.n_terms))


def terms(index: Index, j: int) -> set[int]:
    """The term ids (columns) of sentence ``j``."""
    return set(_rows_of(index, [int(j)])[0][0].tolist())


def _rows_of(index: Index, js: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each sentence's columns (in order) and weights; those not remembered made together
    (one lookup of all their terms, one pass of array arithmetic)."""
    kept = index.memo.setdefault("sentence_rows", {})
    got = {j: kept.get(j) for j in js}
    new = [j for j, row in got.items() if row is None]
    if new:
        counts = [Counter(analysis.terms(index.sentence_text(j))) for j in new]
        columns = np.array(index.term_ids.columns([t for c in counts for t in c]), dtype=np.int64)
        tf = np.fromiter((n for c in counts for n in c.values()), dtype=np.uint16, count=len(columns))
        row = np.repeat(np.arange(len(new)), [len(c) for c in counts])
        known = columns >= 0  # not the word pairs a large index drops (see build.BIGRAM_PRUNE_PASSAGES)
        columns, tf, row = columns[known], tf[known], row[known]
        order = np.lexsort((columns, row))
        columns, tf, row = columns[order].astype(np.int32), tf[order], row[order]
        weights = tf_idf(tf, index.idf[columns])
        weights *= pivot_scale(index.a["S_norm"][new], index.sentence_mean, PIVOT_SLOPE)[row]
        bounds = np.searchsorted(row, np.arange(len(new) + 1)).tolist()
        if len(kept) + len(new) > ROWS_KEPT:
            kept.clear()
        for i, j in enumerate(new):
            got[j] = kept[j] = columns[bounds[i]:bounds[i + 1]], weights[bounds[i]:bounds[i + 1]]
    return [got[j] for j in js]
