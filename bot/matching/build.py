"""Building a matcher for a content version: vocabulary, training sentences, the fitted model (from the cache
when this content was fitted before), the language guess."""
from __future__ import annotations

import hashlib
from importlib import metadata
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

from bot.content.loader import Content
from bot.matching.augment import VARIANTS, Augmenter
from bot.matching.cache import ModelCache
from bot.matching.language import LanguageGuess
from bot.matching.matcher import Matcher
from bot.matching.model import Params, fit
from bot.matching.normaliser import Normaliser
from bot.matching.training import Source, build, sources

log = logging.getLogger(__name__)
SEED = 0
# The code that shapes the training sentences and the model: a change to it is a change of model.
_CODE = ("normaliser.py", "keyboard.py", "augment.py", "training.py", "model.py", "build.py")
# Libraries whose versions change what is fitted (typo correction, the vectoriser and the SVM).
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "rapidfuzz")


def normaliser_for(content: Content, sources_: list[Source] | None = None) -> Normaliser:
    """The content's normaliser, knowing every word its paraphrases use."""
    normaliser = Normaliser(content.lexicon)
    normaliser.learn_vocabulary(text for s in sources_ or sources(content) for _, text in s.paraphrases)
    return normaliser


def model_key(content: Content, sources_: list[Source], params: Params) -> str:
    """A hash of everything a fitted model depends on: paraphrases, lexicon, augmentation, parameters, code."""
    h = hashlib.sha256(f"{params.key()}|variants={VARIANTS}|seed={SEED}".encode())
    for library in _LIBRARIES:
        h.update(f"|{library}={_version(library)}".encode())
    for source in sources_:
        h.update(repr((source.label, source.paraphrases)).encode())
    for record in (content.lexicon, content.augmentation):
        h.update(json.dumps(asdict(record), sort_keys=True, default=sorted, ensure_ascii=False).encode())
    here = Path(__file__).parent
    for name in _CODE:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:24]


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "none"


def build_matcher(content: Content, cache: ModelCache, params: Params = Params()) -> Matcher:
    """A matcher for content: the model comes from the cache, else is fitted (a second or two) and kept."""
    started = time.perf_counter()
    sources_ = sources(content)
    key = model_key(content, sources_, params)
    built = cache.built.get(key)
    if isinstance(built, Matcher):
        return built
    normaliser = normaliser_for(content, sources_)
    labels = tuple(s.label for s in sources_)
    model = cache.get(key)
    fitted = model is None
    if model is None:
        data = build(sources_, normaliser, Augmenter(content.augmentation, SEED), VARIANTS, cache.sentences)
        model = fit(data.texts, data.targets, len(labels), params)
        cache.put(key, model)
    words: dict[str, set[str]] = {}
    with cache.sentences.lock:
        cache.sentences.begin(normaliser)
        for source in sources_:
            for lang, text in source.paraphrases:
                words.setdefault(lang, set()).update(cache.sentences.words(normaliser, text))
    language = LanguageGuess(words, content.lexicon.english_markers)
    log.info("matcher ready: %d labels, %s in %.2f s", len(labels), "fitted" if fitted else "from cache",
             time.perf_counter() - started)
    matcher = Matcher(normaliser, model, labels, language)
    cache.remember(key, matcher)
    return matcher
