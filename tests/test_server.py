"""The HTTP server, started for real (uvicorn on 127.0.0.1, a free port, in a thread) and driven by
`huggingface_hub.InferenceClient(base_url=...)` unchanged, and by httpx for the
text-embeddings-inference routes, the limits (413/422/429/401), concurrency and shutdown.

Every answer is compared with the same pipeline called in Python.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from leanpipe import pipeline  # noqa: E402
from leanpipe.server import Settings, create_app, uvicorn_config  # noqa: E402
from leanpipe.server.service import count_inputs  # noqa: E402
from leanpipe.tasks import available_tasks  # noqa: E402
from test_cli import TEXTS, same  # noqa: E402  (answers compared as in the CLI tests)

ROOT = Path(__file__).resolve().parents[1]
ATOL = 1e-5


def wait_until(condition, seconds: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


class Running:
    """A uvicorn server for `app` on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.app, self.service = app, app.state.service
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn_config(app, log_level="warning", timeout_graceful_shutdown=30))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, what="the server to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def build_classifier(folder: Path, id2label: dict) -> Path:
    """A tiny BERT sequence classifier with these labels; head weights scaled so scores differ."""
    import torch
    import transformers

    from checkpoints import TINY_BERT, copy_tokenizer

    config = transformers.BertConfig(vocab_size=30522, **TINY_BERT, id2label=id2label)
    torch.manual_seed(1)
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.mul_(50)
    model.eval().save_pretrained(folder)
    copy_tokenizer(folder)
    return folder


@pytest.fixture(scope="module")
def models(checkpoints, minilm, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("server-models")
    prompted = root / "minilm-prompts"  # MiniLM with query / passage prompts, as E5- and BGE-style checkpoints ship them
    shutil.copytree(minilm, prompted)
    (prompted / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"query": "query: ", "passage": "passage: "}}))
    return {**checkpoints, "minilm": minilm, "minilm-prompts": prompted,
            "nli": build_classifier(root / "nli", {0: "contradiction", 1: "neutral", 2: "entailment"}),
            "cross-encoder": build_classifier(root / "cross-encoder", {0: "LABEL_0"})}


@pytest.fixture(scope="module")
def servers(models):
    """servers(name, model, task, **settings) -> a Running server, started once per module."""
    started: dict[str, Running] = {}

    def get(name: str, model: str, task: str | None, **settings) -> Running:
        if name not in started:
            started[name] = Running(create_app(models[model], task, settings=Settings(**settings)))
        return started[name]

    yield get
    for running in started.values():
        running.stop()


@pytest.fixture
def hf_client(monkeypatch):
    """InferenceClient(base_url=...) as users write it. Offline mode blocks every huggingface_hub
    request, so it is lifted here: these clients only talk to 127.0.0.1."""
    import huggingface_hub.constants
    from huggingface_hub import InferenceClient

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    return lambda url, **kw: InferenceClient(base_url=url, **kw)


def need(task: str) -> None:
    if task not in available_tasks():
        pytest.skip(f"{task} is not implemented yet")


def post(url: str, body, **kw) -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx.post(url, content=content, headers={"content-type": "application/json", **kw.pop("headers", {})},
                      timeout=60, **kw)


# --- POST /: huggingface_hub.InferenceClient, unchanged ---------------------------------------------------


def test_client_text_classification(servers, models, hf_client):
    url = servers("cls", "bert-cls", None).url  # the task comes from config.json: BertForSequenceClassification
    pipe = pipeline("text-classification", model=models["bert-cls"])
    got = hf_client(url).text_classification(TEXTS[1])
    same([{"label": e.label, "score": e.score} for e in got], pipe(TEXTS[1], top_k=None))
    got = hf_client(url).text_classification(TEXTS[1], top_k=1, function_to_apply="sigmoid")
    same([{"label": e.label, "score": e.score} for e in got], pipe(TEXTS[1], top_k=1, function_to_apply="sigmoid"))


def test_client_feature_extraction(servers, models, hf_client):
    fe = servers("fe", "minilm", None)  # BertModel -> feature-extraction: token vectors
    got = hf_client(fe.url).feature_extraction("Hello world, again.")
    expected = np.asarray(pipeline("feature-extraction", model=models["minilm"])("Hello world, again."))
    assert got.shape == expected.shape == (1, 7, 384)
    assert np.abs(got - expected).max() <= ATOL

    emb = servers("emb", "minilm", "sentence-embeddings")  # sentence vectors, as text-embeddings-inference
    pipe = pipeline("sentence-embeddings", model=models["minilm"])
    got = hf_client(emb.url).feature_extraction("Hello world, again.")
    assert got.shape == (1, 384) and np.abs(got[0] - pipe("Hello world, again.")).max() <= ATOL
    raw = hf_client(emb.url).feature_extraction("Hello world, again.", normalize=False)
    assert np.abs(raw[0] - pipe("Hello world, again.", normalize=False)).max() <= ATOL


@pytest.mark.parametrize("task", ["token-classification", "question-answering", "fill-mask",
                                  "zero-shot-classification", "sentence-similarity"])
def test_client_other_tasks(task, servers, models, hf_client):
    need(task)
    model = {"token-classification": "bert-tok", "question-answering": "bert-qa", "fill-mask": "bert-mlm",
             "zero-shot-classification": "nli", "sentence-similarity": "minilm"}[task]
    client = hf_client(servers(task, model, task).url)
    pipe = pipeline(task, model=models[model])
    text = "John Smith lives in Paris and works for Acme."
    if task == "token-classification":
        got = [{k: getattr(e, k) for k in ("entity_group", "score", "word", "start", "end")}
               for e in client.token_classification(text)]
        same(got, pipe(text, aggregation_strategy="simple"))
    elif task == "question-answering":
        got = client.question_answering(question="Where does John live?", context=text)
        same({k: getattr(got, k) for k in ("score", "start", "end", "answer")},
             pipe(question="Where does John live?", context=text))
    elif task == "fill-mask":
        got = [{k: getattr(e, k) for k in ("score", "token", "token_str", "sequence")}
               for e in client.fill_mask("Paris is the [MASK] of France.")]
        same(got, pipe("Paris is the [MASK] of France."))
    elif task == "zero-shot-classification":
        labels = ["travel", "cooking", "dancing"]
        got = client.zero_shot_classification(text, labels, multi_label=True)
        expected = pipe(text, candidate_labels=labels, multi_label=True)
        same([{"label": e.label, "score": e.score} for e in got],
             [{"label": l, "score": s} for l, s in zip(expected["labels"], expected["scores"])])
    else:
        got = client.sentence_similarity("A man is eating food.", ["A man eats.", "A plane flies."])
        same(got, pipe({"source_sentence": "A man is eating food.", "sentences": ["A man eats.", "A plane flies."]}))


# --- text-embeddings-inference routes ---------------------------------------------------------------------


def test_embed_embed_all_similarity_on_an_embedding_model(servers, models):
    url = servers("fe", "minilm", None).url
    emb = pipeline("sentence-embeddings", model=models["minilm"])
    one = post(url + "/embed", {"inputs": TEXTS[0]})
    assert one.status_code == 200
    same(one.json(), [emb(TEXTS[0], normalize=True)])
    batch = post(url + "/embed", {"inputs": TEXTS, "normalize": False, "truncate": True}).json()
    same(batch, emb(TEXTS, normalize=False))
    assert abs(np.linalg.norm(one.json()[0]) - 1) < 1e-5 and np.linalg.norm(batch[0]) > 1.5
    tokens = post(url + "/embed_all", {"inputs": TEXTS[:2]}).json()
    same(tokens, [f[0] for f in pipeline("feature-extraction", model=models["minilm"])(TEXTS[:2])])
    if "sentence-similarity" in available_tasks():
        sims = post(url + "/similarity", {"inputs": {"source_sentence": TEXTS[0], "sentences": TEXTS[1:]}}).json()
        assert len(sims) == 2 and all(-1 <= s <= 1 for s in sims)


def test_embed_prompt_name(servers, models):
    """TEI's prompt_name on /embed, /tokenize, /similarity (and POST / of a sentence-embeddings server):
    the named prompt of config_sentence_transformers.json goes before every text; an unknown name is a
    422 naming the prompts."""
    url = servers("prompts", "minilm-prompts", "sentence-embeddings").url
    emb = pipeline("sentence-embeddings", model=models["minilm-prompts"])
    got = post(url + "/embed", {"inputs": TEXTS[:2], "prompt_name": "query"})
    assert got.status_code == 200, got.text
    same(got.json(), emb(TEXTS[:2], prompt="query: ", normalize=True))
    same(post(url + "/", {"inputs": TEXTS[:2], "prompt_name": "passage"}).json(), emb(TEXTS[:2], prompt="passage: "))
    assert np.abs(np.array(got.json()) - np.array(emb(TEXTS[:2], normalize=True))).max() > 1e-3  # the prompt changed them
    bad = post(url + "/embed", {"inputs": TEXTS[:1], "prompt_name": "document"})
    assert bad.status_code == 422 and "['passage', 'query']" in bad.json()["error"], bad.text
    tokens = post(url + "/tokenize", {"inputs": "hello", "prompt_name": "query"}).json()[0]
    assert [t["text"] for t in tokens] == ["[CLS]", "query", ":", "hello", "[SEP]"] and tokens[3]["start"] == 7, tokens
    assert [t["text"] for t in post(url + "/tokenize", {"inputs": "hello"}).json()[0]] == ["[CLS]", "hello", "[SEP]"]
    sim = pipeline("sentence-similarity", model=models["minilm-prompts"])
    question = {"source_sentence": TEXTS[0], "sentences": TEXTS[1:3]}
    got = post(url + "/similarity", {"inputs": question, "parameters": {"prompt_name": "query"}})
    assert got.status_code == 200, got.text
    same(got.json(), sim(question, prompt="query: "))
    assert post(url + "/embed", {"inputs": "x", "prompt_name": ["query"]}).status_code == 422


def test_openai_client_embeddings(servers, models):
    """openai.OpenAI(base_url=.../v1).embeddings.create, unchanged: its default base64 encoding and
    floats, one text or many, usage counted in the model's tokens, and the errors it raises."""
    openai = pytest.importorskip("openai")
    url = servers("fe", "minilm", None).url
    client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
    emb = pipeline("sentence-embeddings", model=models["minilm"])
    expected = np.array(emb(TEXTS, normalize=True))
    for encoding in (openai.NOT_GIVEN, "float", "base64"):  # the client asks for base64 when not told, and decodes it
        got = client.embeddings.create(model="whatever-name", input=TEXTS, encoding_format=encoding)
        assert [d.index for d in got.data] == [0, 1, 2] and got.object == "list" and got.model == str(models["minilm"])
        if encoding == "base64":  # asked for explicitly, the client hands the text back as it came
            vectors = np.array([np.frombuffer(base64.b64decode(d.embedding), dtype="<f4") for d in got.data], dtype=np.float64)
        else:
            vectors = np.array([d.embedding for d in got.data], dtype=np.float64)
        diff = float(np.abs(vectors - expected).max())
        assert diff <= ATOL, f"{encoding}: max abs difference {diff:.3g}"
    tokens = sum(len(e.ids) for e in emb.runner.tokenize(TEXTS, True))
    assert got.usage.prompt_tokens == got.usage.total_tokens == tokens
    one = client.embeddings.create(model="m", input=TEXTS[0])
    assert len(one.data) == 1 and abs(np.linalg.norm(one.data[0].embedding) - 1) < 1e-5
    short = np.array([d.embedding for d in client.embeddings.create(model="m", input=TEXTS, dimensions=100,
                                                                    encoding_format="float").data])
    head = expected[:, :100] / np.linalg.norm(expected[:, :100], axis=1, keepdims=True)  # OpenAI's shortening
    assert short.shape == (3, 100) and float(np.abs(short - head).max()) <= ATOL
    with pytest.raises(openai.UnprocessableEntityError, match="dimensions=385 must be between 1 and 384"):
        client.embeddings.create(model="m", input=TEXTS[0], dimensions=385)
    with pytest.raises(openai.BadRequestError, match="cannot be empty"):
        client.embeddings.create(model="m", input=[])
    raw = post(url + "/v1/embeddings", {"input": TEXTS[0], "encoding_format": "binary"})
    assert raw.status_code == 422 and "encoding_format must be one of" in raw.json()["error"]["message"]  # OpenAI's shape
    assert [m.id for m in client.models.list()] == [str(models["minilm"])]
    cls_url = servers("cls", "bert-cls", None).url  # a classifier: no sentence vectors
    assert post(cls_url + "/v1/embeddings", {"input": "x"}).status_code == 424


def test_predict_texts_pairs_batches_and_raw_scores(servers, models):
    url = servers("cls", "bert-cls", None).url
    pipe = pipeline("text-classification", model=models["bert-cls"])
    same(post(url + "/predict", {"inputs": TEXTS[0]}).json(), pipe(TEXTS[0], top_k=None))
    pair = {"text": TEXTS[0], "text_pair": TEXTS[1]}
    same(post(url + "/predict", {"inputs": [TEXTS[0], TEXTS[1]]}).json(), pipe(pair, top_k=None))
    same(post(url + "/predict", {"inputs": [[TEXTS[0]], [TEXTS[0], TEXTS[1]]]}).json(),
         [pipe(TEXTS[0], top_k=None), pipe(pair, top_k=None)])
    same(post(url + "/predict", {"inputs": TEXTS[2], "raw_scores": True}).json(),
         pipe(TEXTS[2], top_k=None, function_to_apply="none"))


def test_rerank(servers, models):
    need("text-ranking")
    url = servers("rerank", "cross-encoder", "text-ranking").url
    pipe = pipeline("text-ranking", model=models["cross-encoder"])
    request = {"query": "What is Deep Learning?", "texts": TEXTS}
    got = post(url + "/rerank", {**request, "return_text": True}).json()
    same(got, pipe(request, return_text=True))
    assert [r["score"] for r in got] == sorted((r["score"] for r in got), reverse=True)
    assert {r["text"] for r in got} == set(TEXTS)
    same(post(url + "/rerank", {**request, "raw_scores": True}).json(), pipe(request, raw_scores=True))
    assert post(url + "/rerank", {"query": "q", "texts": []}).status_code == 400
    same(post(url + "/", {"inputs": request}).json(), pipe(request))  # POST / on a text-ranking server


def test_tokenize_and_decode(servers, models):
    url = servers("cls", "bert-cls", None).url
    text = "Héllo wörld, naïve café"
    got = post(url + "/tokenize", {"inputs": [text, "hi"]}).json()
    assert len(got) == 2 and got[0][0] == {"id": 101, "text": "[CLS]", "special": True, "start": None, "stop": None}
    raw = text.encode()
    for token in got[0][1:-1]:  # TEI reports UTF-8 byte offsets
        assert raw[token["start"]:token["stop"]].decode() == token["text"] and not token["special"]
    plain = post(url + "/tokenize", {"inputs": "hi", "add_special_tokens": False}).json()
    assert [t["text"] for t in plain[0]] == ["hi"]
    ids = [t["id"] for t in got[0]]
    assert post(url + "/decode", {"ids": ids}).json() == ["hello world, naive cafe"]
    assert post(url + "/decode", {"ids": [ids, ids], "skip_special_tokens": False}).json()[1].startswith("[CLS]")


def test_a_route_the_model_cannot_serve_says_what_it_needs(servers):
    fe, cls = servers("fe", "minilm", None).url, servers("cls", "bert-cls", None).url
    r = post(fe + "/predict", {"inputs": "x"})
    assert r.status_code == 424 and "text-classification" in r.json()["error"] and "base model" in r.json()["error"]
    r = post(cls + "/embed", {"inputs": "x"})
    assert r.status_code == 424 and "sentence-embeddings" in r.json()["error"]
    if "text-ranking" in available_tasks():
        r = post(cls + "/rerank", {"query": "q", "texts": ["a"]})
        assert r.status_code == 424 and "3 labels" in r.json()["error"]


def test_info_health_openapi_metrics(servers):
    running = servers("cls", "bert-cls", None)
    url = running.url
    info = httpx.get(url + "/info").json()
    assert info["task"] == "text-classification" and info["model_type"]["classifier"]["id2label"]["2"] == "very positive"
    assert "text-classification" in info["tasks"] and info["max_input_length"] == 512
    assert httpx.get(url + "/health").status_code == 200
    paths = httpx.get(url + "/openapi.json").json()["paths"]
    assert {"/", "/embed", "/predict", "/rerank", "/tokenize", "/info", "/health", "/metrics"} <= set(paths)
    from leanpipe.server.tei import ROUTES

    assert set(ROUTES) <= set(paths), f"TEI routes missing from /openapi.json: {sorted(set(ROUTES) - set(paths))}"
    post(url + "/predict", {"inputs": "warm"})
    metrics = httpx.get(url + "/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'leanpipe_requests_total{route="/predict",method="POST",status="200"}' in text
    for name in ("leanpipe_request_duration_seconds_bucket", "leanpipe_queue_size", "leanpipe_batch_requests_count",
                 "leanpipe_batch_inputs_sum", "leanpipe_batch_tokens_bucket", "leanpipe_queue_duration_seconds_count"):
        assert name in text, name


# --- limits and validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("route, body, status, message", [
    ("/", b"{not json", 422, "not valid JSON"),
    ("/", [1, 2], 422, "must be a JSON object"),
    ("/", {"parameters": {}}, 422, 'needs "inputs"'),
    ("/", {"inputs": 5}, 422, "expected a string"),
    ("/", {"inputs": "x", "parameters": {"colour": "red"}}, 422, "does not take parameters ['colour']"),
    ("/", {"inputs": "x", "parameters": "top_k=1"}, 422, "`parameters` must be an object"),
    ("/", {"inputs": "x", "parameters": {"function_to_apply": "cube"}}, 422, "function_to_apply='cube'"),
    ("/predict", {"inputs": [["a", "b", "c"]]}, 422, "a pair of strings"),
    ("/predict", {"inputs": "x", "raw_scores": "yes"}, 422, "`raw_scores` must be true or false"),
    ("/embed", {"inputs": []}, 400, "cannot be empty"),
    ("/tokenize", {"inputs": [1, 2]}, 422, "token ids as input are not supported"),
    ("/rerank", {"texts": ["a"]}, 422, "`query` is required"),
])
def test_invalid_requests_get_the_reason(route, body, status, message, servers):
    r = post(servers("cls", "bert-cls", None).url + route, body)
    assert r.status_code == status and message in r.json()["error"], r.text


def test_request_size_limits_413(servers):
    url = servers("small", "bert-cls", "text-classification", max_body_bytes=1000, max_client_batch_size=4).url
    r = post(url + "/", {"inputs": "word " * 300})
    assert r.status_code == 413 and "over the limit of 1,000 bytes" in r.json()["error"]
    chunked = httpx.post(url + "/", content=iter([b'{"inputs": "', b"w" * 2000, b'"}']), timeout=30)  # no Content-Length
    assert chunked.status_code == 413
    r = post(url + "/", {"inputs": ["a"] * 5})
    assert r.status_code == 413 and "batch size 5 > maximum allowed batch size 4" in r.json()["error"]
    assert post(url + "/", {"inputs": ["a"] * 4}).status_code == 200
    assert count_inputs({"query": "q", "texts": ["a"] * 9}) == 9 and count_inputs("a") == 1  # rerank, similarity


def test_api_key_401(servers, models, hf_client):
    url = servers("key", "bert-cls", None, api_key="s3cret").url
    r = post(url + "/", {"inputs": "x"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer" and r.json()["error_type"] == "unauthorized"
    assert post(url + "/embed", {"inputs": "x"}, headers={"authorization": "Bearer wrong"}).status_code == 401
    assert post(url + "/", {"inputs": "x"}, headers={"authorization": "Bearer s3cret"}).status_code == 200
    assert httpx.get(url + "/health").status_code == 200  # health and metrics stay open, as in TEI
    assert httpx.get(url + "/info").status_code == 401
    got = hf_client(url, api_key="s3cret").text_classification("I love it")
    assert len(got) == 3


def test_api_key_401_keeps_a_keep_alive_connection_usable(servers, models):
    """The 401 is sent before the body is read; a keep-alive client (httpx.Client, as InferenceClient
    uses) still gets it, and its next request on the same client gets its answer, for a body larger
    than the socket buffers and for a chunked one."""
    url = servers("key", "bert-cls", None, api_key="s3cret").url
    body = json.dumps({"inputs": "word " * 150_000, "parameters": {"truncation": True}})  # 750 kB: more than the socket buffers hold
    with httpx.Client(timeout=30) as client:
        for _ in range(5):
            wrong = client.post(url + "/", content=body, headers={"content-type": "application/json"})
            assert wrong.status_code == 401, wrong.text
            right = client.post(url + "/", content=body, headers={"content-type": "application/json",
                                                                  "authorization": "Bearer s3cret"})
            assert right.status_code == 200, right.text
        chunked = client.post(url + "/", content=iter([b'{"inputs": "', b"w" * 500, b'"}']))  # no Content-Length
        assert chunked.status_code == 401
        assert client.post(url + "/", content=body, headers={"authorization": "Bearer s3cret"}).status_code == 200


# --- the batcher: 429, shared batches, shutdown ----------------------------------------------------------------


@contextlib.contextmanager
def paused(service):
    """Hold the batcher's worker at its next pipeline call until the block ends (the requests queue up)."""
    gate, run = threading.Event(), service.batcher.run

    def held(*args):
        gate.wait(30)
        return run(*args)

    service.batcher.run = held
    try:
        yield gate
    finally:
        gate.set()
        service.batcher.run = run


def test_queue_full_429(servers):
    running = servers("tight", "bert-cls", "text-classification", max_concurrent_requests=2)
    with ThreadPoolExecutor(2) as pool, paused(running.service):
        waiting = [pool.submit(post, running.url + "/", {"inputs": t}) for t in TEXTS[:2]]
        wait_until(lambda: running.service.batcher.pending == 2, what="two requests in the batcher")
        r = post(running.url + "/", {"inputs": "one too many"})
        assert r.status_code == 429 and r.json()["error_type"] == "overloaded"
    assert [w.result().status_code for w in waiting] == [200, 200]
    assert post(running.url + "/", {"inputs": "later"}).status_code == 200


def send_while_paused(running, bodies: list) -> list:
    """POST all bodies at once while the worker is held, so they queue up together; their answers."""
    with ThreadPoolExecutor(len(bodies)) as pool, paused(running.service):
        futures = [pool.submit(post, running.url + "/", body) for body in bodies]
        wait_until(lambda: running.service.batcher.pending == len(bodies), what="all requests in the batcher")
    return [f.result() for f in futures]


def test_concurrent_requests_share_batches_and_get_their_own_answers(servers, models):
    running = servers("cls", "bert-cls", None)
    pipe = pipeline("text-classification", model=models["bert-cls"])
    bodies = [{"inputs": f"{TEXTS[i % 3]} number {i}", "parameters": {"top_k": 1} if i % 4 == 0 else {}}
              for i in range(20)]
    batches = running.service.metrics._batch["requests"]
    calls, merged = batches.n, batches.total
    answers = send_while_paused(running, bodies)
    for i, (body, r) in enumerate(zip(bodies, answers)):
        assert r.status_code == 200, r.text
        same(r.json(), [pipe(body["inputs"], top_k=body["parameters"].get("top_k"))], f"request {i}")
    # the worker held the first requests it took (at most one call per parameter set); the rest
    # queued meanwhile and were merged by parameters: at most 4 pipeline calls for 20 requests
    assert batches.n - calls <= 4 and batches.total - merged == 20


def test_a_bad_request_among_concurrent_ones_fails_alone(servers, models):
    running = servers("cls", "bert-cls", None)
    pipe = pipeline("text-classification", model=models["bert-cls"])
    bodies = [{"inputs": f"text {i}"} for i in range(16)]
    bodies[9] = {"inputs": ["fine", 123]}
    batches = running.service.metrics._batch["requests"]
    calls = batches.n
    answers = send_while_paused(running, bodies)
    assert answers[9].status_code == 422 and "expected a string" in answers[9].json()["error"]
    for i, (body, r) in enumerate(zip(bodies, answers)):
        if i != 9:
            assert r.status_code == 200, r.text
            same(r.json(), [pipe(body["inputs"], top_k=None)], f"request {i}")
    assert batches.n - calls < 10  # halves retried, not every request on its own


def test_graceful_shutdown_finishes_in_flight_requests(models):
    running = Running(create_app(models["bert-cls"], "text-classification"))
    with ThreadPoolExecutor(1) as pool:
        with paused(running.service) as gate:
            in_flight = pool.submit(post, running.url + "/", {"inputs": TEXTS[0]})
            wait_until(lambda: running.service.batcher.pending == 1, what="the request in the batcher")
            running.server.should_exit = True
            time.sleep(0.3)
            assert running.thread.is_alive() and not in_flight.done()
            gate.set()
        assert in_flight.result().status_code == 200
    running.thread.join(15)
    assert not running.thread.is_alive() and not running.service.batcher.alive()


def test_leanpipe_serve_command(models):
    """`leanpipe serve` in a subprocess: task from config.json, a free port, SIGTERM ends it cleanly."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "leanpipe.cli", "serve", "-m", str(models["bert-cls"]), "--port", "0",
                             "--log-level", "warning"], stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=60)
        assert "(text-classification) on http://127.0.0.1:" in first, first
        url = first.split(" on ")[1].split()[0]
        wait_until(lambda: _healthy(url), what="the served model")
        r = post(url + "/", {"inputs": "I love it"})
        assert r.status_code == 200 and {d["label"] for d in r.json()[0]} == {"negative", "neutral", "very positive"}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    reader.join(10)  # the rest of stderr, to its end
    rest = "".join(lines.get() for _ in range(lines.qsize()))
    assert code == 0 and "stopped after answering" in rest and "Traceback" not in rest, rest


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
