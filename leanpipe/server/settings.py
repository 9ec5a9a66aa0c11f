"""The server's limits and knobs, in one frozen dataclass (the `leanpipe serve` options)."""

from __future__ import annotations

from dataclasses import dataclass

from ..batching import DEFAULT_MAX_TOKENS


@dataclass(frozen=True)
class Settings:
    max_batch_tokens: int = DEFAULT_MAX_TOKENS  # estimated tokens the batcher merges into one pipeline call
    max_wait_ms: float = 2.0  # how long the batcher waits for more requests before running what it has
    max_concurrent_requests: int = 512  # requests queued or running; one more gets 429
    max_body_bytes: int = 2_000_000  # a larger request body gets 413 (text-embeddings-inference's default)
    max_client_batch_size: int = 1024  # inputs in one request; more gets 413
    body_timeout_s: float = 30.0  # seconds a client has to send its whole body; a slower one gets 408
    # seconds a client has to send a request's line and headers (from connecting, or the head's first byte);
    # a slower one gets 408 and is disconnected (server.protocol: what `leanpipe serve` runs uvicorn with)
    header_timeout_s: float = 10.0
    api_key: str | None = None  # when set, every route but /health, /ping and /metrics needs `Bearer <key>`
    auto_truncate: bool = True  # /embed, /predict, /rerank, /similarity: truncate when the request does not say

    def __post_init__(self) -> None:
        for name in ("max_batch_tokens", "max_concurrent_requests", "max_body_bytes", "max_client_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("body_timeout_s", "header_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be >= 0, got {self.max_wait_ms}")
