"""text-ranking / rerank: score each text against a query with a cross-encoder, best first.

rerank({"query": "What is Deep Learning?", "texts": ["Deep Learning is ...", "Cheese is ..."]})
  -> [{"index": 0, "score": 0.998}, {"index": 1, "score": 0.0001}]

The request and answer of text-embeddings-inference's `/rerank` (router/src/http/types.rs
RerankRequest / Rank, server.rs `rerank`): `raw_scores` gives the logit instead of its sigmoid,
`return_text` adds each text; `truncation` (TEI's `truncate`, named as in every leanpipe task) cuts
long pairs, longer segment first; `top_k` keeps only the best k.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import InputError
from ..functional import sigmoid
from ..pipeline import Pipeline
from ..pooling import read_transformer_config
from .base import Sample, Task, inputs_from_keywords, normalize_dicts, tokenize_texts

KEYS = ("query", "texts")


class TextRankingPipeline(Pipeline):
    """pipeline("text-ranking") and ("rerank") (leanpipe's task; transformers has none)."""


class Reranking(Task):
    name = "text-ranking"
    head = "sequence-classification"
    default_model = ("cross-encoder/ms-marco-MiniLM-L6-v2", "main")  # transformers has no such task
    pipeline_class = TextRankingPipeline
    parameters = {"raw_scores": False, "return_text": False, "top_k": None, "truncation": True}

    def __init__(self, model: Any, tokenizer: Any) -> None:
        super().__init__(model, tokenizer)
        labels = model.config.num_labels
        if labels != 1:  # TEI serves a model with more labels as a classifier and refuses /rerank
            raise InputError(
                f"{model.name_or_path} has {labels} labels {list(model.config.id2label.values())}; a reranker "
                f"(cross-encoder) has exactly one output score. Use the text-classification task for it."
            )
        # TEI's limit: sentence_bert_config.json's max_seq_length, else the model's positions.
        st_length = read_transformer_config(model.name_or_path, revision=model.revision).get("max_seq_length")
        self.max_length = int(st_length if st_length is not None else model.config.max_position_embeddings)

    def gather_inputs(self, inputs: Any, params: dict[str, Any]) -> Any:
        return super().gather_inputs(inputs_from_keywords(inputs, params, KEYS), params)

    def normalize(self, inputs: Any) -> tuple[list[Any], bool]:
        return normalize_dicts(inputs, 'text-ranking takes {"query": "text", "texts": ["text", ...]}, a list of such dicts, '
                                       "or query=..., texts=[...]")

    def check_params(self, params: dict[str, Any]) -> None:
        if "truncation" in params and not isinstance(params["truncation"], bool):
            raise InputError(f"truncation must be True or False, got {params['truncation']!r}")
        top_k = params.get("top_k")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise InputError(f"top_k must be a positive integer or None (all texts), got {top_k!r}")

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        requests = [_check_request(x) for x in inputs]
        queries = [r["query"] for r in requests for _ in r["texts"]]
        texts = [t for r in requests for t in r["texts"]]
        truncation = params["truncation"]  # True: longest_first, as TEI's LongestFirst
        max_length = self.max_length if truncation else None
        encodings = iter(tokenize_texts(self.tokenizer, queries, texts, truncation=truncation, max_length=max_length))
        return [Sample([next(encodings) for _ in r["texts"]], data=r["texts"]) for r in requests]  # a chunk per text

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        logits = [float(out["logits"][0]) for out in sample.outputs]
        scores = logits if params["raw_scores"] else [float(sigmoid(x)) for x in logits]
        ranks = [
            {"index": i, **({"text": text} if params["return_text"] else {}), "score": score}
            for i, (text, score) in enumerate(zip(sample.data, scores))
        ]
        # TEI sorts ascending (stable) and reverses, so equal scores come out last index first.
        ranked = sorted(ranks, key=lambda r: r["score"])[::-1]
        return ranked if params["top_k"] is None else ranked[: params["top_k"]]


def _check_request(x: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(x) - set(KEYS))
    if unknown:
        raise InputError(f"text-ranking inputs have keys {list(KEYS)}; pass {unknown} as keyword parameters instead")
    query, texts = x.get("query"), x.get("texts")
    if not isinstance(query, str) or not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
        raise InputError(
            f'text-ranking takes {{"query": "text", "texts": ["text", ...]}}; '
            f"got query {query!r:.60} and texts {texts!r:.60}"
        )
    if not texts:
        raise InputError("`texts` cannot be empty: give at least one text to rank against the query")
    return x

