"""text-embeddings-inference's routes (router/src/http/server.rs and types.rs), each on a leanpipe task.

  /embed       {inputs: str | [str] | [int] | [[int]], normalize=true, truncate, prompt_name, dimensions}  sentence-embeddings -> [[float]]
  /embed_sparse {inputs, truncate, prompt_name}                     sparse-embeddings   -> [[{index, value}]]
  /embed_all   {inputs (as /embed's), truncate}                     feature-extraction  -> [[[float]]]
  /predict     {inputs: str | [a, b] | [[a], [a, b]], raw_scores}   text-classification -> [{score, label}] (per input)
  /rerank      {query, texts, raw_scores, return_text, truncate}    text-ranking        -> [{index, score, text?}]
  /similarity  {inputs: {source_sentence, sentences}, parameters: {prompt_name, truncate}}  sentence-similarity -> [float]
  /tokenize    {inputs, add_special_tokens=true, prompt_name}       the tokenizer       -> [[{id, text, special, start, stop}]]
  /decode      {ids: [int] | [[int]], skip_special_tokens=true}     the tokenizer       -> [str]
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from ..errors import InputError
from ..tasks.token_ids import TokenIds
from .dimensions import cut, requested
from .hf_api import direction, refuse_unsupported
from .http import HTTPError, field
from .limits import max_input_length
from .service import Service


def texts(body: dict[str, Any], name: str = "inputs") -> tuple[list[str], bool]:
    """`inputs` as (list of texts, whether one text was sent); 400 when empty, 422 when not text."""
    value = body.get(name)
    single = isinstance(value, str)
    items = [value] if single else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        hint = " (token ids as input are not supported)" if isinstance(items, list) and items and isinstance(items[0], (int, list)) else ""
        raise HTTPError(422, f"`{name}` must be a string or a list of strings{hint}")
    if not items:
        raise HTTPError(400, f"`{name}` cannot be empty")
    return items, single


def embed_inputs(body: dict[str, Any], service: Service, name: str = "inputs") -> list[str | TokenIds]:
    """TEI's Input (types.rs): a text, one input as token ids [int], or a list of texts and id lists,
    mixed -> one pipeline input each, the ids as TokenIds (run as given: no special tokens added, so
    send the tokenizer's input_ids with its [CLS] ... [SEP]). 400 when empty, 422 for ids that are not
    non-negative integers in the tokenizer's vocabulary, naming the input and the position."""
    value = body.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(i, int) for i in value):
        return [token_ids(value, name, len(service.tokenizer))]
    if not isinstance(value, list) or not all(isinstance(x, (str, list)) for x in value):
        raise HTTPError(422, f"`{name}` must be a string, a list of token ids, or a list of strings and token id lists")
    if not value or any(x == [] for x in value):
        raise HTTPError(400, f"`{name}` cannot be empty")
    size = len(service.tokenizer)
    return [x if isinstance(x, str) else token_ids(x, f"{name}[{i}]", size) for i, x in enumerate(value)]


def token_ids(value: list[Any], name: str, vocabulary: int) -> TokenIds:
    """`[101, 7592, 102]` -> TokenIds, or 422 saying which id is wrong and why."""
    try:
        ids = TokenIds(value)
    except InputError as exc:
        raise HTTPError(422, f"`{name}`: {exc}") from None
    for position, i in enumerate(ids.ids):
        if i >= vocabulary:
            raise HTTPError(422, f"`{name}`: token id {i} at position {position} is not in the tokenizer's vocabulary, "
                                 f"whose ids are 0 to {vocabulary - 1}; send ids from /tokenize or this model's tokenizer")
    return ids


def no_prompt_with_ids(body: dict[str, Any], items: list[Any]) -> None:
    """TEI decodes ids to put a prompt before them; here ids are run as given, so the two are not mixed."""
    if body.get("prompt_name") is not None and any(isinstance(x, TokenIds) for x in items):
        raise HTTPError(422, "`prompt_name` cannot be set with token ids as inputs, which run as given: send the ids "
                             "of the prompted text (/tokenize with this prompt_name), or send text")


def truncation(body: dict[str, Any], service: Service) -> bool:
    refuse_unsupported(body)
    return field(body, "truncate", bool, service.settings.auto_truncate, "true or false")


async def embed(service: Service, body: dict[str, Any]) -> Any:
    items = embed_inputs(body, service)
    no_prompt_with_ids(body, items)
    dimensions = requested(body)  # the first n numbers, normalized again when `normalize` (TEI's embed_pooled)
    params, body = prompt_param(body, service), {k: v for k, v in body.items() if k not in ("prompt_name", "dimensions")}
    normalize = field(body, "normalize", bool, True, "true or false")
    side, body = direction(body), {k: v for k, v in body.items() if k != "truncation_direction"}
    params.update(normalize=normalize, truncation=truncation(body, service))
    vectors = await service.infer("sentence-embeddings", items, params, "/embed", side=side)  # a vector per text, even for one
    return cut(vectors, dimensions, renormalize=normalize, model=service.model.name_or_path)


def prompt_param(body: dict[str, Any], service: Service) -> dict[str, Any]:
    """TEI's `prompt_name`: the named prompt of config_sentence_transformers.json before every text.
    Without one the model's default prompt applies (its default_prompt_name, as sentence-transformers
    does; TEI takes a default only from --default-prompt-name)."""
    name = field(body, "prompt_name", str, None, "the name of a prompt in config_sentence_transformers.json")
    return {} if name is None else {"prompt": service.prompt(name)}


async def embed_sparse(service: Service, body: dict[str, Any]) -> Any:
    """SPLADE vectors of a masked-LM checkpoint: per text its non-zero weights, [{index, value}] by index.
    Inputs as /embed's: texts and token-id lists."""
    items = embed_inputs(body, service)
    no_prompt_with_ids(body, items)
    params = {**prompt_param(body, service), "truncation": truncation({k: v for k, v in body.items() if k != "prompt_name"}, service)}
    return await service.infer("sparse-embeddings", items, params, "/embed_sparse")


async def embed_all(service: Service, body: dict[str, Any]) -> Any:
    items = embed_inputs(body, service)
    side, body = direction(body), {k: v for k, v in body.items() if k != "truncation_direction"}
    # TEI cuts at its max_input_length (a sentence model's max_seq_length), not at the model's window
    params = ({"tokenize_kwargs": {"truncation": True, "max_length": max_input_length(service)}}
              if truncation(body, service) else {"truncation": False})
    features = await service.infer("feature-extraction", items, params, "/embed_all", side=side)
    return [f[0] for f in features]  # (1, T, H) per text -> (T, H)


async def predict(service: Service, body: dict[str, Any]) -> Any:
    inputs, single = predict_inputs(body.get("inputs"))
    raw = field(body, "raw_scores", bool, False, "true or false")
    params = {"top_k": None, "truncation": truncation(body, service), **({"function_to_apply": "none"} if raw else {})}
    answers = await service.infer("text-classification", inputs, params, "/predict")
    return answers[0] if single else answers


def predict_inputs(value: Any) -> tuple[list[Any], bool]:
    """TEI's PredictInput: "text" | ["text", "pair"] | [["text"], ["text", "pair"], ...] -> pipeline inputs."""
    def sequence(x: Any) -> Any:
        if isinstance(x, str):
            return x
        if isinstance(x, list) and len(x) in (1, 2) and all(isinstance(t, str) for t in x):
            return x[0] if len(x) == 1 else {"text": x[0], "text_pair": x[1]}
        raise HTTPError(422, "`inputs` must be a string, a pair of strings [string, string] "
                             "or a batch of mixed strings and pairs [[string], [string, string], ...]")

    if isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(t, str) for t in value)):
        return [sequence(value)], True
    if isinstance(value, list) and not value:
        raise HTTPError(400, "`inputs` cannot be empty")
    if not isinstance(value, list):
        sequence(value)  # raises with the shapes it takes
    return [sequence(x) for x in value], False


async def rerank(service: Service, body: dict[str, Any]) -> Any:
    query = field(body, "query", str, None, "a string")
    if query is None:
        raise HTTPError(422, "`query` is required: the text the others are ranked against")
    items, _ = texts(body, "texts")
    params = {"raw_scores": field(body, "raw_scores", bool, False, "true or false"),
              "return_text": field(body, "return_text", bool, False, "true or false"),
              "truncation": truncation(body, service)}
    return await service.infer("text-ranking", {"query": query, "texts": items}, params, "/rerank")


async def similarity(service: Service, body: dict[str, Any]) -> Any:
    inputs = field(body, "inputs", dict, None, 'an object {"source_sentence": ..., "sentences": [...]}')
    if inputs is None:
        raise HTTPError(422, 'the body needs "inputs": {"source_sentence": ..., "sentences": [...]}')
    if inputs.get("sentences") == []:
        raise HTTPError(400, "`inputs.sentences` cannot be empty")  # TEI's words
    params = field(body, "parameters", dict, {}, "an object")
    prompt, params = prompt_param(params, service), {k: v for k, v in params.items() if k != "prompt_name"}
    return await service.infer("sentence-similarity", inputs, {"truncation": truncation(params, service), **prompt}, "/similarity")


async def tokenize(service: Service, body: dict[str, Any]) -> Any:
    """The tokens of each text as /embed sees it: after its prompt (`prompt_name`, else the model's
    default prompt), with the pieces and byte offsets in the prompted text, as TEI reports them."""
    items, _ = texts(body)
    prompt = prompt_param(body, service).get("prompt")
    prompt = service.default_prompt() if prompt is None else prompt
    items = [prompt + text for text in items]
    special = field(body, "add_special_tokens", bool, True, "true or false")
    _check_batch(service, len(items))
    encodings = await run_in_threadpool(service.tokenizer.encode_batch_raw, items, add_special_tokens=special, truncation=False)
    return [tokens(text, enc) for text, enc in zip(items, encodings)]


def tokens(text: str, encoding: Any) -> list[dict[str, Any]]:
    """TEI's SimpleToken list: special tokens by name without offsets; others with their text and
    UTF-8 byte offsets (`start`, `stop`), as TEI reports them."""
    out = []
    for id_, (start, stop), special, token in zip(encoding.ids, encoding.offsets, encoding.special_tokens_mask, encoding.tokens):
        if special:
            out.append({"id": id_, "text": token, "special": True, "start": None, "stop": None})
        else:
            byte_start = len(text[:start].encode("utf-8"))
            piece = text[start:stop]
            out.append({"id": id_, "text": piece, "special": False, "start": byte_start,
                        "stop": byte_start + len(piece.encode("utf-8"))})
    return out


async def decode(service: Service, body: dict[str, Any]) -> Any:
    ids = body.get("ids")
    batch = ids if isinstance(ids, list) and ids and all(isinstance(x, list) for x in ids) else [ids]
    if not all(isinstance(seq, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in seq) for seq in batch):
        raise HTTPError(422, "`ids` must be a list of token ids or a list of such lists")
    if not batch or not batch[0]:
        raise HTTPError(400, "`ids` cannot be empty")
    _check_batch(service, len(batch))
    skip = field(body, "skip_special_tokens", bool, True, "true or false")
    return [service.tokenizer.decode(seq, skip_special_tokens=skip) for seq in batch]


def _check_batch(service: Service, size: int) -> None:
    if size > service.settings.max_client_batch_size:
        raise HTTPError(413, f"batch size {size} > maximum allowed batch size {service.settings.max_client_batch_size}")


ROUTES = {"/embed": embed, "/embed_sparse": embed_sparse, "/embed_all": embed_all, "/predict": predict, "/rerank": rerank,
          "/similarity": similarity, "/tokenize": tokenize, "/decode": decode}
