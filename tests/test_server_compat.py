"""The server against what its clients expect of the services it stands in for: the Hugging Face
Inference API (huggingface_hub.InferenceClient), text-embeddings-inference (TEI, router/src/http/
server.rs, core/src/tokenization.rs, core/src/infer.rs) and OpenAI (the openai client).

Servers come from test_server's fixtures; vectors are compared with sentence-transformers 6.3.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import test_server  # noqa: E402
from leanpipe import pipeline  # noqa: E402
from test_server import post  # noqa: E402

models, servers, hf_client = test_server.models, test_server.servers, test_server.hf_client  # its fixtures, shared

SOURCE, OTHERS = "A man is eating food.", ["A man eats a meal.", "A plane is taking off.", "Someone eats."]
ST_ATOL = 1e-4  # leanpipe vs sentence-transformers (torch): float32 sums in another order


def test_v1_errors_have_openai_shape_for_the_api_key_too(servers):
    """401 from the API-key guard (and 404/405) under /v1 in OpenAI's {"error": {"message", "type"}}:
    the openai client raises AuthenticationError carrying the message; TEI's routes keep {error, error_type}."""
    openai = pytest.importorskip("openai")
    url = servers("key-emb", "minilm", "sentence-embeddings", api_key="s3cret").url
    wrong = openai.OpenAI(base_url=url + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="missing or wrong API key"):
        wrong.embeddings.create(model="m", input="hello")
    r = post(url + "/v1/embeddings", {"input": "x"})
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error", r.text
    assert "missing or wrong API key" in r.json()["error"]["message"]
    assert post(url + "/embed", {"inputs": "x"}).json()["error_type"] == "unauthorized"  # TEI's shape elsewhere
    right = openai.OpenAI(base_url=url + "/v1", api_key="s3cret", max_retries=0)
    assert len(right.embeddings.create(model="m", input="hello").data[0].embedding) == 384
    with pytest.raises(openai.NotFoundError, match="no route /v1/nothing"):
        right.post("/nothing", cast_to=object, body={})
    gone = httpx.get(url + "/v1/embeddings", headers={"authorization": "Bearer s3cret"})
    assert gone.status_code == 405 and "GET is not allowed" in gone.json()["error"]["message"], gone.text


@pytest.fixture(scope="module")
def st_model(models):
    st = pytest.importorskip("sentence_transformers")
    return st.SentenceTransformer(str(models["minilm"]), device="cpu")


def st_similarity(st_model, source: str, others: list[str]) -> np.ndarray:
    vectors = st_model.encode([source, *others], convert_to_numpy=True)
    return st_model.similarity(vectors[:1], vectors[1:]).numpy()[0]


@pytest.mark.parametrize("task", [None, "sentence-embeddings", "sentence-similarity"])
def test_one_embedding_model_answers_both_feature_extraction_and_similarity(task, servers, hf_client, st_model):
    """The Inference API answers feature_extraction and sentence_similarity on one embedding model;
    POST / picks by the body's shape. feature_extraction on a sentence-similarity server gives the
    sentence embeddings; on a feature-extraction server (no --task: BertModel) the token vectors."""
    client = hf_client(servers(f"both-{task}", "minilm", task).url)
    got = np.asarray(client.sentence_similarity(SOURCE, OTHERS))
    expected = st_similarity(st_model, SOURCE, OTHERS)
    diff = float(np.abs(got - expected).max())
    assert got.shape == (3,) and diff <= ST_ATOL, f"{task}: similarity max abs difference {diff:.3g}"
    if task is None:  # token vectors, as before (one text: a batch of them is ragged)
        assert client.feature_extraction(SOURCE).shape == (1, 8, 384)
        return
    vectors = client.feature_extraction([SOURCE, *OTHERS])
    expected = st_model.encode([SOURCE, *OTHERS], convert_to_numpy=True)
    diff = float(np.abs(vectors - expected).max())
    assert vectors.shape == (4, 384) and diff <= ST_ATOL, f"{task}: embeddings max abs difference {diff:.3g}"
    one = client.feature_extraction(SOURCE)
    assert one.shape == (1, 384) and float(np.abs(one[0] - expected[0]).max()) <= ST_ATOL


@pytest.mark.parametrize("model, task, body, message", [
    ("bert-cls", None, {"inputs": []}, "`inputs` cannot be empty"),
    ("bert-tok", None, {"inputs": []}, "`inputs` cannot be empty"),
    ("minilm", None, {"inputs": []}, "`inputs` cannot be empty"),
    ("minilm", "sentence-embeddings", {"inputs": []}, "`inputs` cannot be empty"),
    ("minilm", "sentence-embeddings", {"inputs": {"source_sentence": "a", "sentences": []}}, "`inputs.sentences` cannot be empty"),
    ("minilm", "sentence-similarity", {"inputs": {"source_sentence": "a", "sentences": []}}, "`inputs.sentences` cannot be empty"),
    ("minilm", "sentence-similarity", {"inputs": []}, "`inputs` cannot be empty"),
    ("cross-encoder", "text-ranking", {"inputs": {"query": "q", "texts": []}}, "`texts` cannot be empty"),
])
def test_post_root_refuses_empty_inputs_as_the_tei_routes(model, task, body, message, servers):
    """POST / with nothing to compute: 400 error_type "empty", as /embed, /predict, /similarity and
    /rerank answer (TEI's ErrorType::Empty), instead of 200 []."""
    url = servers(f"empty-{model}-{task}", model, task).url
    r = post(url + "/", body)
    assert r.status_code == 400 and r.json() == {"error": message, "error_type": "empty"}, r.text


def test_empty_similarity_via_the_client_and_the_tei_route(servers, hf_client):
    from huggingface_hub.errors import HfHubHTTPError

    url = servers("empty-minilm-sentence-similarity", "minilm", "sentence-similarity").url
    with pytest.raises(HfHubHTTPError, match="cannot be empty") as caught:
        hf_client(url).sentence_similarity("a", [])
    assert caught.value.response.status_code == 400
    r = post(url + "/similarity", {"inputs": {"source_sentence": "a", "sentences": []}})
    assert r.status_code == 400 and r.json()["error"] == "`inputs.sentences` cannot be empty", r.text
    r = post(url + "/similarity", {"inputs": {"source_sentence": "a"}})
    assert r.status_code == 422 and "sentence-similarity takes" in r.json()["error"], r.text


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_dimensions_on_embed_and_feature_extraction(servers, models, hf_client, st_model):
    """`dimensions` as TEI's embed_pooled applies it (and /v1/embeddings): the first n numbers, normalized
    again when the request normalizes; the same 422 as /v1/embeddings outside 1..width."""
    url = servers("dims-emb", "minilm", "sentence-embeddings").url
    expected = st_model.encode([SOURCE, *OTHERS], convert_to_numpy=True)  # MiniLM's vectors are normalized
    got = post(url + "/embed", {"inputs": [SOURCE, *OTHERS], "dimensions": 128})
    assert got.status_code == 200, got.text
    diff = float(np.abs(np.array(got.json()) - unit(expected[:, :128])).max())
    assert np.array(got.json()).shape == (4, 128) and diff <= ST_ATOL, f"max abs difference {diff:.3g}"
    raw = np.array(post(url + "/embed", {"inputs": SOURCE, "dimensions": 100, "normalize": False}).json())
    unnormalized = np.array(pipeline("sentence-embeddings", model=models["minilm"])(SOURCE, normalize=False))
    assert raw.shape == (1, 100) and float(np.abs(raw[0] - unnormalized[:100]).max()) <= 1e-5  # cut, not rescaled
    client = hf_client(url)
    one = client.feature_extraction(SOURCE, dimensions=64)
    assert one.shape == (1, 64) and float(np.abs(one[0] - unit(expected[0, :64])).max()) <= ST_ATOL
    many = client.feature_extraction([SOURCE, *OTHERS], dimensions=64)
    assert many.shape == (4, 64) and float(np.abs(many - unit(expected[:, :64])).max()) <= ST_ATOL
    for route, body in (("/embed", {"inputs": "x"}), ("/", {"inputs": "x"})):
        for bad in (0, 385):
            r = post(url + route, {**body, "dimensions": bad})
            assert r.status_code == 422 and f"dimensions={bad} must be between 1 and 384" in r.json()["error"], r.text
        r = post(url + route, {**body, "dimensions": "64"})
        assert r.status_code == 422 and "`dimensions` must be a positive integer" in r.json()["error"], r.text
    r = post(url + "/embed_all", {"inputs": "x", "dimensions": 64})
    assert r.status_code == 422 and "dimensions applies to sentence embeddings" in r.json()["error"], r.text
    fe = servers("dims-fe", "minilm", None).url  # token vectors: refused, naming the fix
    r = post(fe + "/", {"inputs": "x", "dimensions": 64})
    assert r.status_code == 422 and "--task sentence-embeddings" in r.json()["error"], r.text
    assert np.array(post(fe + "/embed", {"inputs": "x", "dimensions": 64}).json()).shape == (1, 64)


LONG = " ".join(["The quick brown fox jumps over the lazy dog near the riverbank."] * 21)  # 296 tokens with [CLS] [SEP]


def tei_too_long(limit: int, given: int, fix: str) -> str:
    """TEI's words (core/src/tokenization.rs), then the fix in the route's terms."""
    return f"Input validation error: `inputs` must have less than {limit} tokens. Given: {given}; {fix}"


def test_max_input_length_is_max_seq_length_and_longer_texts_are_refused_without_truncation(servers, models, st_model):
    """TEI: /info's max_input_length is sentence-transformers' max_seq_length (256 for all-MiniLM-L6-v2),
    and a longer text with truncation off is refused on every route (422 validation since TEI 1.9.0),
    never embedded whole; with truncation on it is cut to 256 tokens as sentence-transformers cuts it."""
    given = len(st_model.tokenizer(LONG)["input_ids"])
    assert given > 256 and st_model.max_seq_length == 256
    emb, fe = servers("long-emb", "minilm", "sentence-embeddings").url, servers("long-fe", "minilm", None).url
    for url in (emb, fe):
        assert httpx.get(url + "/info").json()["max_input_length"] == 256
    truncate = 'send "truncate": true to cut it to 256 tokens'
    parameters = 'send "parameters": {"truncate": true} to cut it to 256 tokens'
    similarity = {"source_sentence": "a fox", "sentences": ["a dog", LONG]}
    for url, route, body, fix in (
        (emb, "/embed", {"inputs": ["short", LONG], "truncate": False}, truncate),
        (emb, "/", {"inputs": LONG, "truncate": False}, truncate),
        (fe, "/embed_all", {"inputs": [LONG], "truncate": False}, truncate),
        (fe, "/", {"inputs": LONG}, truncate),  # token vectors: transformers' pipeline does not truncate by default
        (emb, "/similarity", {"inputs": similarity, "parameters": {"truncate": False}}, parameters),
        (emb, "/", {"inputs": similarity, "parameters": {"truncate": False}}, parameters),
    ):
        r = post(url + route, body)
        assert r.status_code == 422 and r.json() == {"error": tei_too_long(256, given, fix), "error_type": "validation"}, \
            (route, r.text)
    cut = np.array(post(emb + "/embed", {"inputs": LONG, "truncate": True}).json())
    diff = float(np.abs(cut - st_model.encode([LONG], convert_to_numpy=True)).max())
    assert diff <= ST_ATOL, f"cut at 256 tokens: max abs difference {diff:.3g}"
    assert len(post(fe + "/embed_all", {"inputs": LONG, "truncate": True}).json()[0]) == 256  # TEI's max_input_length

    strict = servers("long-strict", "minilm", "sentence-embeddings", auto_truncate=False).url  # /v1 has no knob
    r = post(strict + "/v1/embeddings", {"input": [LONG]})
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(tei_too_long(256, given, "shorten it")[:-10]), r.text
    assert post(strict + "/embed", {"inputs": LONG}).status_code == 422  # auto_truncate off: TEI's default for truncate


def test_other_models_refuse_texts_past_their_window_in_tei_words(servers, models):
    """The classifier, the cross-encoder and SPLADE have no max_seq_length: their window is the limit,
    and the message names the route's knob, not the pipeline's (truncation=True to the pipeline call)."""
    words = " ".join(["word"] * 700)
    cls = servers("long-cls", "bert-cls", None).url
    for route, body, given, fix in (  # 700 words + [CLS] [SEP]; a pair adds "short" and a [SEP]
        ("/predict", {"inputs": words, "truncate": False}, 702, 'send "truncate": true'),
        ("/predict", {"inputs": ["short", words], "truncate": False}, 704, 'send "truncate": true'),
        ("/predict", {"inputs": [["short"], [words]], "truncate": False}, 702, 'send "truncate": true'),
        ("/", {"inputs": words}, 702, 'send "parameters": {"truncation": true}'),
        ("/", {"inputs": {"text": "short", "text_pair": words}}, 704, 'send "parameters": {"truncation": true}'),
    ):
        r = post(cls + route, body)
        expected = tei_too_long(512, given, fix + " to cut it to 512 tokens")
        assert r.status_code == 422 and r.json() == {"error": expected, "error_type": "validation"}, (route, r.text)
    assert post(cls + "/", {"inputs": words, "parameters": {"truncation": True}}).status_code == 200
    rerank = servers("long-rerank", "cross-encoder", "text-ranking").url
    r = post(rerank + "/rerank", {"query": "q", "texts": ["a", words], "truncate": False})
    assert r.status_code == 422 and "must have less than 512 tokens. Given: 704" in r.json()["error"], r.text
    assert post(rerank + "/rerank", {"query": "q", "texts": ["a", words]}).status_code == 200
    sparse = servers("long-sparse", "bert-mlm", "sparse-embeddings").url
    r = post(sparse + "/embed_sparse", {"inputs": words, "truncate": False})
    assert r.status_code == 422 and "must have less than 512 tokens. Given: 702" in r.json()["error"], r.text


@pytest.mark.parametrize("task", ["sentence-embeddings", "sentence-similarity"])
def test_sentence_pipelines_refuse_a_text_past_max_seq_length_without_truncation(task, models):
    pipe = pipeline(task, model=models["minilm"])
    inputs = LONG if task == "sentence-embeddings" else {"source_sentence": "a", "sentences": [LONG]}
    with pytest.raises(Exception, match="more than this model's limit of 256 .*pass truncation=True") as caught:
        pipe(inputs, truncation=False)
    assert type(caught.value).__name__ == "TextTooLong" and caught.value.limit == 256
    pipe(inputs)  # truncation=True by default: cut to 256


def test_truncation_direction_left_cuts_the_start(servers, models, hf_client, st_model, minilm, tmp_path):
    """TEI's truncation_direction "left"/"Left": this request's texts lose their start, not their end,
    as sentence-transformers does with a tokenizer saved with truncation_side="left"; the right-cut
    answers before and after stay as they were (the shared tokenizer is not changed)."""
    import shutil
    from sentence_transformers import SentenceTransformer

    left_folder = tmp_path / "minilm-left"
    shutil.copytree(minilm, left_folder)
    reference = SentenceTransformer(str(left_folder), device="cpu")
    reference.tokenizer.truncation_side = "left"
    text = "Paris is the capital of France. " + LONG  # the start matters: cut on the left it is gone
    expected_left = reference.encode([text], convert_to_numpy=True)
    expected_right = st_model.encode([text], convert_to_numpy=True)
    assert float(np.abs(expected_left - expected_right).max()) > 1e-3
    url = servers("left-emb", "minilm", "sentence-embeddings").url
    before = np.array(post(url + "/embed", {"inputs": text}).json())
    for value in ("left", "Left"):
        got = np.array(post(url + "/embed", {"inputs": text, "truncation_direction": value}).json())
        diff = float(np.abs(got - expected_left).max())
        assert diff <= ST_ATOL, f"{value}: max abs difference {diff:.3g}"
    got = hf_client(url).feature_extraction(text, truncation_direction="left")
    assert float(np.abs(got - expected_left).max()) <= ST_ATOL
    after = np.array(post(url + "/embed", {"inputs": text, "truncation_direction": "Right"}).json())
    assert float(np.abs(after - expected_right).max()) <= ST_ATOL and np.array_equal(before, after)
    fe = servers("left-fe", "minilm", None).url  # token vectors, cut at max_input_length (256, as TEI) on the left
    longer = "Paris is the capital of France. " + LONG + LONG
    import copy

    left_pipe = pipeline("feature-extraction", model=models["minilm"])
    left_pipe = pipeline("feature-extraction", model=models["minilm"],
                         tokenizer=copy.deepcopy(left_pipe.tokenizer))
    left_pipe.tokenizer.truncation_side = "left"
    tokens = np.array(post(fe + "/embed_all", {"inputs": longer, "truncation_direction": "left"}).json()[0])
    expected = np.array(left_pipe(longer, tokenize_kwargs={"truncation": True, "max_length": 256})[0])
    assert tokens.shape == expected.shape == (256, 384) and float(np.abs(tokens - expected).max()) <= 1e-5
    r = post(url + "/embed", {"inputs": text, "truncation_direction": "middle"})
    assert r.status_code == 422 and 'truncation_direction must be "left" or "right"' in r.json()["error"], r.text
