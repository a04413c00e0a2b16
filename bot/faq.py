"""The FAQ index and matcher: rarity-weighted word and word-pair overlap, with rapidfuzz for typos."""
from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.content import Content
from bot.matching.normaliser import Normalised, Normaliser

ENTRY, INTENT, REJECT = "entry", "intent", "reject"

# Typos: an unknown word of at least this length may stand for a known word this similar (0..100).
FUZZY_MIN_LEN = 4
FUZZY_MIN_SCORE = 80.0
# A question naming another app or device, and not ours, is probably about that one.
FOREIGN_PENALTY = 0.4
OWN_APP_REJECT = 0.8   # out-of-scope groups weigh less when the question names our app
# How much of the final confidence comes from the whole-string similarity of rapidfuzz.
STRING_SHARE = 0.2
RESCORE_TOP = 12
# Candidates come from the question's rarest features only; the rest are added to at most this many.
SEED_FEATURES = 6
# A question made only of words every entry uses (the app's name, "cài", "app") is too thin to decide: confidence
# is scaled down until the question's known words weigh this much (one fairly rare word weighs about 2).
EVIDENCE_MIN = 2.0
MAX_CANDIDATES = 300
# Share of the question's own weight in the denominator: questions carry chatter ("ad ơi cho hỏi"), so a
# paraphrase fully found in the question counts for more than a question fully found in a paraphrase.
QUERY_SHARE = 0.4
UNKNOWN_SHARE = 0.6
# Share of the confidence from how much of the question an entry's vocabulary covers, all paraphrases together:
# a new question often mixes words of several paraphrases of one entry.
COVER_SHARE = 0.3
# A clear winner is surer than a close race: the lead over the runner-up adds to the confidence.
MARGIN_SHARE = 0.5


@dataclass(frozen=True)
class Label:
    """What a paraphrase stands for: an entry, a small-talk intent, or an out-of-scope group."""

    id: str
    kind: str


@dataclass(frozen=True)
class Match:
    """The matcher's verdict: the best label, its confidence in 0..1, and runners-up."""

    label: Label | None
    confidence: float
    candidates: tuple[tuple[Label, float], ...]


def features(tokens: tuple[str, ...] | list[str]) -> set[str]:
    """Words and adjacent word pairs: pairs keep a little of the word order ("cai dat" vs "dat cai")."""
    return set(tokens) | {f"{a}_{b}" for a, b in zip(tokens, tokens[1:])}


class FaqIndex:
    """An index over every paraphrase, built once from content; match() is read-only and thread-safe."""

    def __init__(self, content: Content, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self.labels: list[Label] = []
        self.docs: list[tuple[int, str, frozenset[str]]] = []   # (label index, text, features)
        self.lang_words: dict[str, set[str]] = {"vi": set(), "en": set()}
        for entry in content.entries.values():
            if not entry.hidden:
                self._add(Label(entry.id, ENTRY), entry.paraphrases, entry.title)
        for intent in content.intents.values():
            self._add(Label(intent.id, INTENT), intent.paraphrases)
        for group in content.rejects:
            self._add(Label(group.id, REJECT), group.paraphrases)
        self._build_weights()
        markers = normaliser.lexicon.english_markers
        self.only_en = (self.lang_words["en"] - self.lang_words["vi"]) | markers
        self.only_vi = self.lang_words["vi"] - self.lang_words["en"] - markers

    def _add(self, label: Label, paraphrases: dict[str, tuple[str, ...]], titles: dict[str, str] | None = None) -> None:
        index = len(self.labels)
        self.labels.append(label)
        seen: set[str] = set()
        texts = [(lang, p) for lang, items in paraphrases.items() for p in items]
        texts += [(lang, t) for lang, t in (titles or {}).items()]
        for lang, text in texts:
            norm = self.normaliser.normalise(text)
            self.lang_words.setdefault(lang, set()).update(norm.words)
            if norm.tokens and norm.text not in seen:
                seen.add(norm.text)
                self.docs.append((index, norm.text, frozenset(features(norm.tokens))))

    def _build_weights(self) -> None:
        labels_with: dict[str, set[int]] = defaultdict(set)
        for label_index, _, feats in self.docs:
            for f in feats:
                labels_with[f].add(label_index)
        n = max(len(self.labels), 1)
        # Rarity across labels, not paraphrases: a word every entry uses ("cai", the app's name) decides nothing.
        self.weight = {f: math.log((n + 1) / (len(ls) + 0.5)) for f, ls in labels_with.items()}
        self.unknown_weight = math.log((n + 1) / 1.5) * UNKNOWN_SHARE
        self.label_postings = {f: tuple(ls) for f, ls in labels_with.items()}
        self.postings: dict[str, list[int]] = defaultdict(list)
        for doc_index, (_, _, feats) in enumerate(self.docs):
            for f in feats:
                self.postings[f].append(doc_index)
        self.seed_postings_max = max(50, len(self.docs) // 10)
        self.doc_weight = [sum(self.weight[f] for f in feats) for _, _, feats in self.docs]
        # Typo look-ups search words with the same first letter only: most typos keep it, and it is 20x faster.
        self.vocabulary: dict[str, list[str]] = defaultdict(list)
        for f in sorted(self.weight):
            if "_" not in f and len(f) >= FUZZY_MIN_LEN:
                self.vocabulary[f[0]].append(f)

    def _query_features(self, tokens: tuple[str, ...]) -> dict[str, tuple[str, float]]:
        """Map each query feature to the indexed feature it stands for, with a factor for inexactness."""
        fixed: list[str] = []
        factors: dict[str, float] = {}
        for token in tokens:
            if token in self.weight or len(token) < FUZZY_MIN_LEN:
                fixed.append(token)
                continue
            best = process.extractOne(token, self.vocabulary.get(token[0], ()), scorer=fuzz.ratio,
                                      score_cutoff=FUZZY_MIN_SCORE, processor=None)
            if best and Levenshtein.distance(token, best[0]) <= 2:
                fixed.append(best[0])
                factors[best[0]] = best[1] / 100.0
            else:
                fixed.append(token)
        out: dict[str, tuple[str, float]] = {}
        for f in features(fixed):
            parts = f.split("_")
            out[f] = (f, min(factors.get(p, 1.0) for p in parts))
        return out

    def language(self, norm: Normalised) -> str | None:
        """"vi" or "en" when the words say so (words only one language's paraphrases use), else None."""
        if norm.has_marks:
            return "vi"
        en = sum(1 for w in norm.words if w in self.only_en)
        vi = sum(1 for w in norm.words if w in self.only_vi)
        return "en" if en > vi else "vi" if vi > en else None

    def match(self, norm: Normalised, exclude: frozenset[int] = frozenset()) -> Match:
        """Score every label against one normalised question, as if the docs in exclude were not indexed."""
        if not norm.tokens:
            return Match(None, 0.0, ())
        features_ = self._query_features(norm.tokens)
        weight = self.weight
        if exclude:   # leave-one-out (the content check): a feature only excluded docs have is unknown
            weight = {f: w for f in features_ if (w := self.weight.get(f)) is not None
                      and not (len(self.postings[f]) <= len(exclude) and set(self.postings[f]) <= exclude)}
        query = [(f, factor, weight[f]) for f, factor in features_.values() if f in weight]
        q_weight = sum(weight.get(f, self.unknown_weight) for f in features_)
        overlap = self._overlap(query, exclude)
        if not overlap:
            return Match(None, 0.0, ())
        best = self._best_per_label(norm.text, overlap, q_weight)
        if COVER_SHARE:
            self._add_cover(best, query, q_weight, exclude)
        evidence = min(1.0, sum(w for _, _, w in query) / EVIDENCE_MIN) if EVIDENCE_MIN else 1.0
        return self._verdict(norm, best, evidence)

    def _overlap(self, query: list[tuple[str, float, float]], exclude: frozenset[int] = frozenset()
                 ) -> dict[int, float]:
        """Weighted overlap per paraphrase: the rarest words find candidates, the others only add to them."""
        ordered = sorted(query, key=lambda q: -q[2])
        # A word in a large share of all paraphrases finds no useful candidates: it only adds to them.
        usable = [q for q in ordered if len(self.postings[q[0]]) <= self.seed_postings_max] or ordered
        seeds = usable[:SEED_FEATURES]
        rest = [q for q in ordered if q not in seeds]
        overlap: dict[int, float] = defaultdict(float)
        for f, factor, w in seeds:
            gain = w * factor
            for doc_index in self.postings[f]:
                overlap[doc_index] += gain
        for doc_index in exclude:
            overlap.pop(doc_index, None)
        if len(overlap) > MAX_CANDIDATES:   # bounded work however large the FAQ grows
            overlap = dict(heapq.nlargest(MAX_CANDIDATES, overlap.items(), key=lambda item: item[1]))
        docs = self.docs
        for f, factor, w in rest:
            gain = w * factor
            for doc_index in overlap:
                if f in docs[doc_index][2]:
                    overlap[doc_index] += gain
        return overlap

    def _best_per_label(self, text: str, overlap: dict[int, float], q_weight: float) -> dict[int, float]:
        """Each label's best paraphrase score; the top few refined by whole-string similarity."""
        doc_weight, docs = self.doc_weight, self.docs
        q_part, d_share = QUERY_SHARE * q_weight, 1 - QUERY_SHARE
        scored = [(s / (q_part + d_share * doc_weight[d]), d) for d, s in overlap.items()]
        scored = [(score if score < 1.0 else 1.0, d) for score, d in scored]
        best: dict[int, float] = {}
        for score, d in scored:
            label_index = docs[d][0]
            if score > best.get(label_index, -1.0):
                best[label_index] = score
        scale = 1 - STRING_SHARE
        best = {i: scale * s for i, s in best.items()}
        for score, d in heapq.nlargest(RESCORE_TOP, scored):
            string = fuzz.token_sort_ratio(text, docs[d][1], processor=None) / 100.0
            refined = scale * score + STRING_SHARE * string
            if refined > best[docs[d][0]]:
                best[docs[d][0]] = refined
        return best

    def _add_cover(self, best: dict[int, float], query: list[tuple[str, float, float]], q_weight: float,
                   exclude: frozenset[int] = frozenset()) -> None:
        """Blend in how much of the question each label's whole vocabulary covers."""
        cover: dict[int, float] = defaultdict(float)
        for f, factor, w in query:
            for label_index in self.label_postings[f]:
                cover[label_index] += w * factor
        for d in exclude:   # a label loses the features only its excluded docs have (a label's docs are adjacent)
            label_index, docs = self.docs[d][0], self.docs
            lo, hi = d, d + 1
            while lo > 0 and docs[lo - 1][0] == label_index:
                lo -= 1
            while hi < len(docs) and docs[hi][0] == label_index:
                hi += 1
            kept = set().union(*(docs[i][2] for i in range(lo, hi) if i not in exclude))
            cover[label_index] -= sum(w * factor for f, factor, w in query if f in docs[d][2] and f not in kept)
        for label_index in best:
            best[label_index] = (1 - COVER_SHARE) * best[label_index] + COVER_SHARE * cover[label_index] / q_weight

    def _verdict(self, norm: Normalised, best: dict[int, float], evidence: float) -> Match:
        """Rank labels, reward a clear lead, discount questions about other apps and devices."""
        ranked = sorted(((s, self.labels[i]) for i, s in best.items()), key=lambda x: -x[0])
        if norm.names_app and OWN_APP_REJECT < 1.0:   # a question naming our app is rarely about another one
            ranked = sorted(((s * OWN_APP_REJECT if label.kind == REJECT else s, label) for s, label in ranked),
                            key=lambda x: -x[0])
        if MARGIN_SHARE:
            lead = ranked[0][0] - (ranked[1][0] if len(ranked) > 1 else 0.0)
            ranked[0] = (ranked[0][0] + MARGIN_SHARE * lead, ranked[0][1])
        if norm.foreign and not norm.names_app:
            ranked = sorted(((s if label.kind == REJECT else s * FOREIGN_PENALTY, label) for s, label in ranked),
                            key=lambda x: -x[0])
        top = tuple((label, round(min(score, 1.0) * evidence, 4)) for score, label in ranked[:5])
        return Match(top[0][0], top[0][1], top)
