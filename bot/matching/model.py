"""The trained model: TF-IDF over character n-grams (within words) and words, and a linear SVM.

scikit-learn fits it. Answering uses the fitted vocabulary, idf and coefficients directly with numpy, which gives
the same scores as scikit-learn's `decision_function` (a test checks this) at a fraction of the cost per question,
and keeps scikit-learn's import (about 0.8 s) out of start-up when the fitted model comes from the cache."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Measured on eval/tune.tsv (bench/bench_engine.py --only models): char 2-5 + word 1-2, C=1 was best of those tried.
CHAR_RANGE = (3, 5)
WORD_RANGE = (1, 2)
SVM_C = 1.0
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
            offset = 0
            grams.append(w[offset:offset + n])
            while offset + n < size:
                offset += 1
                grams.append(w[offset:offset + n])
            if offset == 0:    # a word shorter than n counts once
                break
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

    def _block(self, grams: list[str], vocab: dict[str, int], offset: int) -> tuple[list[int], list[float]]:
        counts = Counter(i for g in grams if (i := vocab.get(g)) is not None)
        if not counts:
            return [], []
        index = [offset + i for i in counts]
        values = [(1.0 + math.log(c)) * self.idf[j] for c, j in zip(counts.values(), index)]   # sublinear tf
        norm = math.sqrt(sum(v * v for v in values))
        return index, [v / norm for v in values]

    def features(self, text: str) -> tuple[list[int], list[float]]:
        """The text's non-zero TF-IDF features (each block l2-normalised), as column indices and values."""
        p = self.params
        ci, cv = self._block(char_ngrams(text, *p.char_range), self.char_vocab, 0)
        wi, wv = self._block(word_ngrams(text, *p.word_range), self.word_vocab, self.n_char)
        return ci + wi, cv + wv

    def scores(self, text: str) -> np.ndarray:
        """The SVM's decision value for every label."""
        index, values = self.features(text)
        if not index:
            return self.intercept.copy()
        return np.asarray(values, dtype=np.float32) @ self.coef[index] + self.intercept

    def known(self, text: str) -> bool:
        """Whether any of the text's words or n-grams was seen in training."""
        return bool(self.features(text)[0])

    def save(self, path: Path) -> None:
        """Write the model as plain arrays (no pickle: loading a file can never run code)."""
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
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
            params = Params(tuple(int(x) for x in data["char_range"]), tuple(int(x) for x in data["word_range"]),
                            float(data["c"][0]), int(data["min_df"][0]))   # type: ignore[arg-type]
            char_vocab = {str(g): i for i, g in enumerate(data["char_vocab"])}
            word_vocab = {str(g): i for i, g in enumerate(data["word_vocab"])}
            return cls(params, char_vocab, word_vocab, data["idf"], data["coef"], data["intercept"])


def fit(texts: tuple[str, ...], targets: tuple[int, ...], n_labels: int, params: Params = Params()) -> LinearModel:
    """Fit TF-IDF and a one-vs-rest linear SVM with scikit-learn (deterministic: fixed random_state)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=params.char_range, sublinear_tf=True,
                            min_df=params.min_df, lowercase=False, dtype=np.float32)
    words = TfidfVectorizer(analyzer="word", ngram_range=params.word_range, sublinear_tf=True,
                            token_pattern=r"\S+", lowercase=False, dtype=np.float32)
    matrix = hstack([chars.fit_transform(texts), words.fit_transform(texts)]).tocsr()
    # One thread: liblinear's random generator is shared by the process, so parallel fits are not reproducible.
    svm = LinearSVC(C=params.c, random_state=0, max_iter=5000)
    svm.fit(matrix, np.asarray(targets))
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
