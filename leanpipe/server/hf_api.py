"""`POST /`: the Hugging Face Inference API's request and answer shapes for the served task.

What `huggingface_hub.InferenceClient(base_url=...)` sends and how it parses the answer
(huggingface_hub/inference/_client.py, _providers/hf_inference.py):

  text_classification      {"inputs": text, "parameters": {top_k=all, function_to_apply}} -> [[{label, score}, ...]]
  token_classification     {"inputs": text, "parameters": {aggregation_strategy="simple", ...}} -> [{entity_group, score, word, start, end}]
  question_answering       {"inputs": {"question", "context"}, "parameters": {...}}   -> {answer, score, start, end}
  fill_mask                {"inputs": text, "parameters": {top_k, targets}}           -> [{sequence, score, token, token_str}]
  zero_shot_classification {"inputs": text, "parameters": {candidate_labels, ...}}    -> [{label, score}, ...]
  sentence_similarity      {"inputs": {"source_sentence", "sentences"}}                -> [float, ...]
  feature_extraction       {"inputs": text, "normalize", "truncate", "dimensions", "prompt_name"}  (parameters at the top) -> nested floats

A task not listed here takes `{"inputs", "parameters"}` and answers what its pipeline returns.

On an embedding model POST / answers both feature_extraction and sentence_similarity, by the body's
shape, as the Inference API does (see `task_for`).
"""

from __future__ import annotations

from typing import Any, Callable

from .dimensions import requested
from .http import HTTPError, field

# task -> (body -> (inputs, params), (inputs, answer) -> the JSON answer)
Parse = Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]]
Reply = Callable[[Any, Any], Any]


def parse_default(body: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    if "inputs" not in body:
        raise HTTPError(422, 'the body needs "inputs", e.g. {"inputs": "I love it", "parameters": {}}')
    return body["inputs"], dict(field(body, "parameters", dict, {}, "an object"))


def reply_default(inputs: Any, answer: Any) -> Any:
    return answer


def parse_text_classification(body: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    inputs, params = parse_default(body)
    params.setdefault("top_k", None)  # the Inference API answers every label, best first
    return inputs, params


def parse_token_classification(body: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    inputs, params = parse_default(body)
    params.setdefault("aggregation_strategy", "simple")  # the Inference API groups word pieces into entities
    return inputs, params


def reply_nested(inputs: Any, answer: Any) -> Any:
    """One input's list of labels goes in a list of its own: [[{label, score}, ...]]."""
    return answer if isinstance(inputs, list) else [answer]


def reply_zero_shot(inputs: Any, answer: Any) -> Any:
    """transformers' {sequence, labels, scores} -> the Inference API's [{label, score}, ...]."""
    def pairs(a: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"label": label, "score": score} for label, score in zip(a["labels"], a["scores"])]

    return [pairs(a) for a in answer] if isinstance(answer, list) else pairs(answer)


def parse_embedding_options(body: dict[str, Any], task: str) -> tuple[Any, dict[str, Any]]:
    """feature_extraction puts its options next to "inputs" (text-embeddings-inference's /embed)."""
    inputs, params = parse_default(body)
    truncate = field(body, "truncate", bool, None, "true or false")
    if truncate is not None:
        params["truncation"] = truncate
    normalize = field(body, "normalize", bool, None, "true or false")
    if normalize is not None:
        if task != "sentence-embeddings":
            raise HTTPError(422, f"normalize applies to sentence embeddings; this server runs {task} "
                                 f"(token vectors). Use /embed, or serve with --task sentence-embeddings")
        params["normalize"] = normalize
    if body.get("dimensions") is not None:  # applied to the answer by app.inference_api
        if task != "sentence-embeddings":
            raise HTTPError(422, f"dimensions applies to sentence embeddings; this server runs {task} "
                                 f"(token vectors). Use /embed, or serve with --task sentence-embeddings")
        params["dimensions"] = requested(body)
        body = {k: v for k, v in body.items() if k != "dimensions"}
    if direction(body) == "left":  # the service runs it with a left-truncating tokenizer
        params["truncation_side"] = "left"
    body = {k: v for k, v in body.items() if k != "truncation_direction"}
    if task == "sentence-embeddings" and body.get("prompt_name") is not None:  # resolved by the service (app.py)
        params["prompt_name"] = field(body, "prompt_name", str, None, "the name of a prompt in config_sentence_transformers.json")
        body = {k: v for k, v in body.items() if k != "prompt_name"}
    refuse_unsupported(body)
    return inputs, params


def direction(body: dict[str, Any]) -> str:
    """TEI's truncation_direction ("left" / "Left" / "right" / "Right", default right) -> "left" | "right"."""
    value = field(body, "truncation_direction", str, "right", '"left" or "right"')
    if value not in ("left", "Left", "right", "Right"):
        raise HTTPError(422, f'truncation_direction must be "left" or "right", got {value!r:.40}')
    return value.lower()


def refuse_unsupported(body: dict[str, Any]) -> None:
    """Options of text-embeddings-inference that leanpipe does not implement: said, not ignored."""
    if body.get("prompt_name") is not None:
        raise HTTPError(422, "prompt_name is not supported; put the prompt in the text")
    if direction(body) != "right":
        raise HTTPError(422, "truncation_direction 'left' is supported on /embed, /embed_all and POST / of an "
                             "embedding model; here texts are cut on the right")
    if body.get("dimensions") is not None:
        raise HTTPError(422, "dimensions applies to sentence embeddings: /embed, /v1/embeddings, POST / of "
                             "a sentence-embeddings server")
    if str(body.get("encoding_format") or "float") != "float":
        raise HTTPError(422, "encoding_format must be 'float'")


def reply_sentence_embeddings(inputs: Any, answer: Any) -> Any:
    """One text -> [[...]] (a list of one vector), as text-embeddings-inference answers."""
    return answer if isinstance(inputs, list) else [answer]


def parse_similarity(body: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    inputs, params = parse_default(body)
    truncate = params.pop("truncate", None)  # text-embeddings-inference's SimilarityParameters
    if truncate is not None:
        params["truncation"] = truncate
    prompt_name = params.pop("prompt_name", None)  # resolved by the service (app.py), as for sentence embeddings
    refuse_unsupported(params)
    params.pop("truncation_direction", None)
    if prompt_name is not None:
        params["prompt_name"] = prompt_name
    return inputs, params


FORMATS: dict[str, tuple[Parse, Reply]] = {
    "text-classification": (parse_text_classification, reply_nested),
    "token-classification": (parse_token_classification, reply_default),
    "zero-shot-classification": (parse_default, reply_zero_shot),
    "feature-extraction": (lambda b: parse_embedding_options(b, "feature-extraction"), reply_default),
    "sentence-embeddings": (lambda b: parse_embedding_options(b, "sentence-embeddings"), reply_sentence_embeddings),
    "sentence-similarity": (parse_similarity, reply_default),
}


EMBEDDING_TASKS = ("feature-extraction", "sentence-embeddings")


def task_for(served: str, body: dict[str, Any]) -> str:
    """The task POST / runs for this body: the served one, or its sibling on the same embedding model.
    The Inference API answers feature_extraction and sentence_similarity on one sentence-transformers
    model: {"inputs": {"source_sentence", "sentences"}} on a feature-extraction / sentence-embeddings
    server is a similarity request; {"inputs": text | [text, ...]} on a sentence-similarity server asks
    for the sentence embeddings."""
    inputs = body.get("inputs")
    if served in EMBEDDING_TASKS and isinstance(inputs, dict) and "source_sentence" in inputs:
        return "sentence-similarity"
    texts = isinstance(inputs, str) or (isinstance(inputs, list) and all(isinstance(t, str) for t in inputs))
    if served == "sentence-similarity" and texts:
        return "sentence-embeddings"
    return served


def refuse_empty(inputs: Any) -> None:
    """400 for nothing to compute, as text-embeddings-inference's routes answer (ErrorType::Empty):
    "inputs": [], a similarity request with "sentences": [], a ranking request with "texts": []."""
    if isinstance(inputs, list) and not inputs:
        raise HTTPError(400, "`inputs` cannot be empty")
    for item in inputs if isinstance(inputs, list) else [inputs]:
        if isinstance(item, dict):
            for key, name in (("sentences", "inputs.sentences"), ("texts", "texts")):
                if isinstance(item.get(key), list) and not item[key]:
                    raise HTTPError(400, f"`{name}` cannot be empty")


def request_format(task: str) -> tuple[Parse, Reply]:
    return FORMATS.get(task, (parse_default, reply_default))
