"""Token ids as inputs: TEI's /embed and /embed_all (`inputs`: [int] | [[int]], mixed with texts; router/src/http/
types.rs Input/InputType) and OpenAI's /v1/embeddings (`input`: an array of ints or of int arrays).

The ids of a text, as the model's tokenizer makes them with its special tokens, give the text's own answer; ids
are run as given (cut, not refused, only when truncating), counted in usage, and bad ids are 4xx in each route's
error shape. Servers come from test_server's fixtures.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

import test_server  # noqa: E402
from leanpipe import pipeline  # noqa: E402
from leanpipe.errors import InputError  # noqa: E402
from leanpipe.server.batcher import estimate_tokens  # noqa: E402
from leanpipe.tasks.token_ids import TokenIds  # noqa: E402
from test_cli import TEXTS  # noqa: E402
from test_server import post  # noqa: E402
from test_server_compat import LONG, tei_too_long  # noqa: E402

models, servers = test_server.models, test_server.servers  # its fixtures, shared
ATOL = 1e-5


@pytest.fixture(scope="module")
def tokenizer(models):
    """The model's own tokenizer, as a client has it: transformers', with special tokens."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(models["minilm"]))


def close(got, expected, what: str) -> None:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    diff = float(np.abs(got - expected).max())
    print(f"{what}: max abs difference {diff:.3g}")
    assert diff <= ATOL, f"{what}: max abs difference {diff:.3g} exceeds {ATOL:g}"


def test_embed_ids_give_the_texts_vectors(servers, tokenizer):
    url = servers("ids-emb", "minilm", "sentence-embeddings").url
    ids = [tokenizer(t)["input_ids"] for t in TEXTS]
    assert ids[0][0] == tokenizer.cls_token_id and ids[0][-1] == tokenizer.sep_token_id
    texts = post(url + "/embed", {"inputs": TEXTS})
    assert texts.status_code == 200, texts.text
    close(post(url + "/embed", {"inputs": ids}).json(), texts.json(), "/embed [[int]]")
    close(post(url + "/embed", {"inputs": ids[1]}).json(), texts.json()[1:2], "/embed [int]")
    mixed = post(url + "/embed", {"inputs": [TEXTS[0], ids[1], TEXTS[2]], "normalize": False})
    close(mixed.json(), post(url + "/embed", {"inputs": TEXTS, "normalize": False}).json(), "/embed mixed, normalize false")
    close(post(url + "/embed", {"inputs": ids, "dimensions": 64}).json(),
          post(url + "/embed", {"inputs": TEXTS, "dimensions": 64}).json(), "/embed dimensions")


def test_embed_all_ids_give_the_texts_token_vectors(servers, tokenizer):
    url = servers("ids-fe", "minilm", None).url
    ids = [tokenizer(t)["input_ids"] for t in TEXTS]
    texts = post(url + "/embed_all", {"inputs": TEXTS}).json()
    got = post(url + "/embed_all", {"inputs": ids}).json()
    for n, (a, b) in enumerate(zip(got, texts)):
        assert len(a) == len(ids[n])
        close(a, b, f"/embed_all input {n}")
    close(post(url + "/embed_all", {"inputs": ids[0]}).json()[0], texts[0], "/embed_all [int]")


def test_openai_client_sends_token_arrays(servers, tokenizer):
    openai = pytest.importorskip("openai")
    url = servers("ids-emb", "minilm", "sentence-embeddings").url
    client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
    ids = [tokenizer(t)["input_ids"] for t in TEXTS]
    expected = client.embeddings.create(model="m", input=TEXTS, encoding_format="float")
    for encoding in ("float", "base64"):
        got = client.embeddings.create(model="m", input=ids, encoding_format=encoding)
        vectors = [d.embedding for d in got.data]
        if encoding == "base64":
            import base64

            vectors = [np.frombuffer(base64.b64decode(v), dtype="<f4") for v in vectors]
        close(vectors, [d.embedding for d in expected.data], f"/v1/embeddings [[int]] {encoding}")
        assert got.usage.prompt_tokens == got.usage.total_tokens == sum(map(len, ids)) == expected.usage.prompt_tokens
    one = client.embeddings.create(model="m", input=ids[2], encoding_format="float")
    assert len(one.data) == 1 and one.usage.prompt_tokens == len(ids[2])
    close(one.data[0].embedding, expected.data[2].embedding, "/v1/embeddings [int]")
    with pytest.raises(openai.UnprocessableEntityError, match="token ids must be non-negative"):
        client.embeddings.create(model="m", input=[[101, -3, 102]])
    with pytest.raises(openai.BadRequestError, match="cannot be empty"):
        client.embeddings.create(model="m", input=[[]])


def test_long_ids_are_cut_when_truncating_and_refused_otherwise(servers, tokenizer):
    """As a text: past max_input_length (256) ids are cut (on the requested side; the ids as given, so no
    [SEP] is put back) with truncate, and refused in TEI's words without it, on every route that takes them."""
    ids = tokenizer(LONG)["input_ids"]
    assert len(ids) > 256
    emb, fe = servers("ids-emb", "minilm", "sentence-embeddings").url, servers("ids-fe", "minilm", None).url
    close(post(emb + "/embed", {"inputs": ids, "truncate": True}).json(), post(emb + "/embed", {"inputs": ids[:256]}).json(),
          "/embed cut right")
    left = post(emb + "/embed", {"inputs": ids, "truncate": True, "truncation_direction": "left"}).json()
    close(left, post(emb + "/embed", {"inputs": ids[-256:]}).json(), "/embed cut left")
    tokens = post(fe + "/embed_all", {"inputs": [ids], "truncate": True}).json()
    assert len(tokens[0]) == 256
    close(tokens[0], post(fe + "/embed_all", {"inputs": [ids[:256]]}).json()[0], "/embed_all cut right")
    fix = 'send "truncate": true to cut it to 256 tokens'
    for url, route in ((emb, "/embed"), (fe, "/embed_all")):
        r = post(url + route, {"inputs": [TEXTS[0], ids], "truncate": False})
        assert r.status_code == 422 and r.json() == {"error": tei_too_long(256, len(ids), fix), "error_type": "validation"}, r.text
    strict = servers("long-strict", "minilm", "sentence-embeddings", auto_truncate=False).url
    r = post(strict + "/v1/embeddings", {"input": [ids]})
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(tei_too_long(256, len(ids), "")[:-2]), r.text


@pytest.mark.parametrize("body, status, message", [
    ({"inputs": [101, -1, 102]}, 422, "`inputs`: token ids must be non-negative; position 1 holds -1"),
    ({"inputs": ["a", [101, 30522, 102]]}, 422, "`inputs[1]`: token id 30522 at position 1 is not in the tokenizer's vocabulary, whose ids are 0 to 30521"),
    ({"inputs": [[101, 99999999999999999999]]}, 422, "`inputs[0]`: token id 99999999999999999999 at position 1"),
    ({"inputs": [[101, 7592.0, 102]]}, 422, "`inputs[0]`: token ids must be integers; position 1 holds 7592.0 (float)"),
    ({"inputs": [[101, True]]}, 422, "token ids must be integers"),
    ({"inputs": [[101, "x"]]}, 422, "token ids must be integers"),
    ({"inputs": [101, "x"]}, 422, "must be a string, a list of token ids, or a list of strings and token id lists"),
    ({"inputs": {"ids": [1]}}, 422, "must be a string, a list of token ids"),
    ({"inputs": []}, 400, "`inputs` cannot be empty"),
    ({"inputs": [[]]}, 400, "`inputs` cannot be empty"),
    ({"inputs": ["a", []]}, 400, "`inputs` cannot be empty"),
])
def test_bad_ids_are_refused_in_tei_shape(body, status, message, servers):
    url = servers("ids-emb", "minilm", "sentence-embeddings").url
    for route in ("/embed", "/embed_all"):
        r = post(url + route, body)
        assert r.status_code == status and message in r.json()["error"], (route, r.text)
        assert r.json()["error_type"] == ("empty" if status == 400 else "validation")


def test_prompt_name_is_not_mixed_with_ids(servers, tokenizer):
    url = servers("prompts", "minilm-prompts", "sentence-embeddings").url
    r = post(url + "/embed", {"inputs": [tokenizer("hello")["input_ids"]], "prompt_name": "query"})
    assert r.status_code == 422 and "`prompt_name` cannot be set with token ids" in r.json()["error"], r.text
    prompted = [t["id"] for t in post(url + "/tokenize", {"inputs": "hello", "prompt_name": "query"}).json()[0]]
    close(post(url + "/embed", {"inputs": prompted}).json(), post(url + "/embed", {"inputs": "hello", "prompt_name": "query"}).json(),
          "/embed ids of the prompted text")


def test_pipeline_entry_point(models, tokenizer):
    """pipe(TokenIds(ids)): the library path the routes use."""
    emb = pipeline("sentence-embeddings", model=models["minilm"])
    ids = [TokenIds(tokenizer(t)["input_ids"]) for t in TEXTS]
    close(emb(ids), emb(TEXTS), "sentence-embeddings TokenIds")
    fe = pipeline("feature-extraction", model=models["minilm"])
    close(fe(ids[1])[0], fe(TEXTS[1])[0], "feature-extraction TokenIds")
    assert len(fe(ids[2], tokenize_kwargs={"truncation": True, "max_length": 4})[0]) == 4
    with pytest.raises(InputError, match="goes before texts"):
        emb(ids[0], prompt="query: ")
    with pytest.raises(InputError, match="not padded"):
        fe(ids[0], tokenize_kwargs={"padding": "max_length", "max_length": 16})
    for bad, message in (([], "cannot be empty"), ("101", "got a string"), ([1.5], "must be integers")):
        with pytest.raises(InputError, match=message):
            TokenIds(bad)
    assert estimate_tokens([TokenIds([101, 7592, 102]), "I love it"]) == 3 + 4


def test_embed_sparse_ids_give_the_texts_weights(servers, models):
    """/embed_sparse takes ids as /embed does (TEI's Input): a text's ids, special tokens included, give its
    SPLADE weights; long ids are cut with truncate and refused in TEI's words without it; ids and a
    prompt_name are not mixed; bad ids are 422."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(models["bert-mlm"]))
    url = servers("long-sparse", "bert-mlm", "sparse-embeddings").url
    ids = [tokenizer(t)["input_ids"] for t in TEXTS]
    texts = post(url + "/embed_sparse", {"inputs": TEXTS}).json()
    for got, expected in ((post(url + "/embed_sparse", {"inputs": ids}).json(), texts),
                          (post(url + "/embed_sparse", {"inputs": [TEXTS[0], ids[1]]}).json(), texts[:2]),
                          (post(url + "/embed_sparse", {"inputs": ids[2]}).json(), texts[2:3])):
        for mine, ref in zip(got, expected, strict=True):
            assert [w["index"] for w in mine] == [w["index"] for w in ref]
            close([w["value"] for w in mine], [w["value"] for w in ref], "/embed_sparse ids")
    long = tokenizer(" ".join(["word"] * 700))["input_ids"]
    cut = post(url + "/embed_sparse", {"inputs": [long], "truncate": True}).json()
    assert cut == post(url + "/embed_sparse", {"inputs": [long[:512]]}).json()
    r = post(url + "/embed_sparse", {"inputs": [long], "truncate": False})
    fix = 'send "truncate": true to cut it to 512 tokens'
    assert r.status_code == 422 and r.json() == {"error": tei_too_long(512, len(long), fix), "error_type": "validation"}, r.text
    r = post(url + "/embed_sparse", {"inputs": [[101, 10 ** 9]]})
    assert r.status_code == 422 and "is not in the tokenizer's vocabulary" in r.json()["error"], r.text
    r = post(url + "/embed_sparse", {"inputs": [ids[0]], "prompt_name": "query"})
    assert r.status_code == 422 and "`prompt_name` cannot be set with token ids" in r.json()["error"], r.text


def test_sparse_pipeline_takes_token_ids(models):
    from transformers import AutoTokenizer

    pipe = pipeline("sparse-embeddings", model=models["bert-mlm"])
    ids = AutoTokenizer.from_pretrained(str(models["bert-mlm"]))(TEXTS[0])["input_ids"]
    got, expected = pipe([TokenIds(ids), TEXTS[0]], return_tensors=True)
    close(got, expected, "sparse-embeddings TokenIds")
