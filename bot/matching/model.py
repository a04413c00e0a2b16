"""The trained model: TF-IDF over character n-grams (within words) and words, and a linear SVM.

scikit-learn fits it. Answering uses the fitted vocabulary, idf and coefficients directly with numpy, which gives
the same scores as scikit-learn's `decision_function` (a test checks this) at a fraction of the cost per question,
and keeps scikit-learn's import (about 0.8 s) out of start-up when the fitted model comes from the cache."""
from __future__ import annotations

import math
import os
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

# Chosen on eval/tune.tsv among char 2-5, 3-5, 3-4, C 0.5-2 and tol 1e-4 to 1e-2: char 3-5 + word 1-2, C=1.
_FIT_LOCK = threading.Lock()
_NO_INDEX, _NO_VALUES = np.zeros(0, dtype=np.intp), np.zeros(0)
CHAR_RANGE = (3, 5)
WORD_RANGE = (1, 2)
SVM_C = 1.0
SVM_TOL = 1e-2     # scikit-learn's 1e-4 costs half as much time again for the same answers on eval/tune.tsv
MIN_DF = 2


@dataclass(frozen=True)
class Params:
    """What the model is fitted with (part of the cache key)."""

    char_range: tuple[int, int] = CHAR_RANGE
    word_range: tuple[int, int] = WORD_RANGE
    c: float = SVM_C
    min_df: int = MIN_DF

    def key(self) -> str:
        """A stable text form."""
        return f"char{self.char_range}word{self.word_range}C{self.c}df{self.min_df}v1"


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside word boundaries, as scikit-learn's analyzer="char_wb" makes them."""
    grams: list[str] = []
    for word in text.split():
        w = f" {word} "
        size = len(w)
        for n in range(lo, hi + 1):
            if size <= n:          # a word no longer than n counts once, whole
                grams.append(w)
                break
            grams.extend([w[i:i + n] for i in range(size - n + 1)])
    return grams


def word_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Word n-grams joined by a space, as scikit-learn's word analyzer with token_pattern \\S+ makes them."""
    tokens = text.split()
    grams: list[str] = []
    for n in range(lo, hi + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


class LinearModel:
    """Scores every label for one normalised text; built by fit() or loaded from a file."""

    def __init__(self, params: Params, char_vocab: dict[str, int], word_vocab: dict[str, int], idf: np.ndarray,
                 coef: np.ndarray, intercept: np.ndarray) -> None:
        self.params = params
        self.char_vocab, self.word_vocab = char_vocab, word_vocab
        self.idf = idf.astype(np.float64)
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)      # (features, labels)
        self.intercept = intercept.astype(np.float64)
        self.n_char = len(char_vocab)

    def _block(self, grams: list[str], vocab: dict[str, int], offset: int) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter([i for g in grams if (i := vocab.get(g)) is not None])
        if not counts:
            return _NO_INDEX, _NO_VALUES
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts)) + offset
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))))  # sublinear tf
        values *= self.idf[index]
        return index, values / math.sqrt(float(values @ values))

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's non-zero TF-IDF features (each block l2-normalised), as column indices and values."""
        p = self.params
        ci, cv = self._block(char_ngrams(text, *p.char_range), self.char_vocab, 0)
        wi, wv = self._block(word_ngrams(text, *p.word_range), self.word_vocab, self.n_char)
        return np.concatenate((ci, wi)), np.concatenate((cv, wv))

    def scores(self, text: str) -> np.ndarray | None:
        """The SVM's decision value for every label; None when no word or n-gram of the text was seen in training."""
        index, values = self.features(text)
        if not len(index):
            return None
        return values.astype(np.float32) @ self.coef[index] + self.intercept

    def save(self, path: Path) -> None:
        """Write the model as plain arrays (no pickle: loading a file can never run code)."""
        # a temporary name of its own: two processes fitting the same content never write one file together
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(handle, "wb") as f:
            np.savez(f, params=np.array([self.params.key()]),
                     char_range=np.array(self.params.char_range), word_range=np.array(self.params.word_range),
                     c=np.array([self.params.c]), min_df=np.array([self.params.min_df]),
                     char_vocab=np.array(sorted(self.char_vocab, key=self.char_vocab.__getitem__)),
                     word_vocab=np.array(sorted(self.word_vocab, key=self.word_vocab.__getitem__)),
                     idf=self.idf, coef=self.coef, intercept=self.intercept)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """Read a model written by save()."""
        with np.load(path, allow_pickle=False) as data:
            lo, hi = (int(x) for x in data["char_range"])
            wlo, whi = (int(x) for x in data["word_range"])
            params = Params((lo, hi), (wlo, whi), float(data["c"][0]), int(data["min_df"][0]))
            char_vocab = {str(g): i for i, g in enumerate(data["char_vocab"])}
            word_vocab = {str(g): i for i, g in enumerate(data["word_vocab"])}
            return cls(params, char_vocab, word_vocab, data["idf"], data["coef"], data["intercept"])


def fit(texts: tuple[str, ...], targets: tuple[int, ...], n_labels: int, params: Params = Params()) -> LinearModel:
    """Fit TF-IDF and a one-vs-rest linear SVM with scikit-learn (deterministic: fixed random_state)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    # Our own analyzers make exactly scikit-learn's char_wb and \S+ word n-grams (a test compares them), faster.
    min_df = params.min_df if len(texts) >= 10 * params.min_df else 1    # tiny content: keep every n-gram
    chars = TfidfVectorizer(analyzer=partial(char_ngrams, lo=params.char_range[0], hi=params.char_range[1]),
                            sublinear_tf=True, min_df=min_df, dtype=np.float32)
    words = TfidfVectorizer(analyzer=partial(word_ngrams, lo=params.word_range[0], hi=params.word_range[1]),
                            sublinear_tf=True, dtype=np.float32)
    matrix = hstack([chars.fit_transform(texts), words.fit_transform(texts)]).tocsr()
    svm = LinearSVC(C=params.c, random_state=0, max_iter=5000, tol=SVM_TOL)
    if len(set(targets)) >= 2:
        # One fit at a time: liblinear's random generator is shared by the process, so fits that overlap (two
        # engines, a refit beside `faq check`) would not be reproducible.
        with _FIT_LOCK:
            svm.fit(matrix, np.asarray(targets))
    else:                    # content with a single label: it wins every question it knows a word of
        return LinearModel(params, dict(chars.vocabulary_), dict(words.vocabulary_),
                           np.concatenate([chars.idf_, words.idf_]), np.zeros((matrix.shape[1], n_labels)),
                           np.array([0.0 if i in targets else -1e3 for i in range(n_labels)]))
    coef = np.zeros((matrix.shape[1], n_labels), dtype=np.float32)   # labels with no sentence keep zeros
    intercept = np.full(n_labels, -1e3)                                 # and never win
    classes = svm.classes_
    if len(classes) == 2:    # scikit-learn gives one column for two classes: +w for the second, -w for the first
        coef[:, classes[1]], coef[:, classes[0]] = svm.coef_[0], -svm.coef_[0]
        intercept[classes[1]], intercept[classes[0]] = svm.intercept_[0], -svm.intercept_[0]
    else:
        coef[:, classes] = svm.coef_.T
        intercept[classes] = svm.intercept_
    idf = np.concatenate([chars.idf_, words.idf_])
    return LinearModel(params, dict(chars.vocabulary_), dict(words.vocabulary_), idf, coef, intercept)
