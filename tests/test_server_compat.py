"""The server against what its clients expect of the services it stands in for: the Hugging Face
Inference API (huggingface_hub.InferenceClient), text-embeddings-inference (TEI, router/src/http/
server.rs, core/src/tokenization.rs, core/src/infer.rs) and OpenAI (the openai client).

Servers come from test_server's fixtures; vectors are compared with sentence-transformers 6.3.
"""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import test_server  # noqa: E402
from test_server import post  # noqa: E402

models, servers, hf_client = test_server.models, test_server.servers, test_server.hf_client  # its fixtures, shared

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
