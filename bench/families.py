"""Other families side by side: leanpipe against a length-sorted torch loop and transformers' pipeline
on base-sized random-weight classifiers, one per family (text-classification, batch 32; T5, whose
encoder heads are all leanpipe runs, token-classification; EmbeddingGemma and Qwen3-Embedding, embedding
models, feature-extraction as arrays; SmolLM2, a Llama-shaped decoder as a classifier), and batch-1.

    HF_HUB_OFFLINE=1 python bench/families.py                       # every family below, ~25 minutes
    HF_HUB_OFFLINE=1 python bench/families.py --families deberta-v3,modernbert --sentences 192

Writes bench/results/families.md and families.json (or --out); a run of some families replaces their
rows and keeps the others' (each row says when and on which CPU it was measured). Each checkpoint is built once into
bench/.cache/families/<name>/ with transformers (torch.manual_seed(0)) and MiniLM's tokenizer files
beside it (its uncased BERT vocabulary, within every family's vocabulary size), so every family reads
the same real tokens. Per family, leanpipe and then transformers run in their own child processes with
the same thread count; throughput is the median of 3 timed passes over the sentences after warming up
on the first and the longest batch, latency the median of 50 single calls after 5.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkpoints import CACHE, TOKENIZER_FILES, minilm_path  # noqa: E402
from corpus import make_corpus  # noqa: E402
from measure import cpu_model, family_arguments, median, run_json, timed_passes  # noqa: E402

BATCH, PASSES, CALLS = 32, 3, 50
# name -> (transformers config class, its keyword arguments): base-sized shapes of each family's best-known checkpoint
FAMILIES = {
    "deberta-v3": ("DebertaV2Config", dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                           intermediate_size=3072, relative_attention=True, position_buckets=256,
                                           norm_rel_ebd="layer_norm", share_att_key=True, pos_att_type=["p2c", "c2p"],
                                           max_relative_positions=-1, position_biased_input=False, type_vocab_size=0,
                                           layer_norm_eps=1e-7, pad_token_id=0)),
    "modernbert": ("ModernBertConfig", dict(vocab_size=30522, pad_token_id=0, cls_token_id=101, sep_token_id=102,
                                            bos_token_id=101, eos_token_id=102)),
    "mpnet": ("MPNetConfig", dict(vocab_size=30527, pad_token_id=0)),
    "albert": ("AlbertConfig", dict(vocab_size=30522, hidden_size=768, num_attention_heads=12, intermediate_size=3072,
                                    pad_token_id=0)),
    "mobilebert": ("MobileBertConfig", {}),
    "squeezebert": ("SqueezeBertConfig", {}),
    # bart-base's shape (6 + 6 layers); its special ids moved to the shared BERT vocabulary's [CLS] / [SEP] / [PAD]
    "bart": ("BartConfig", dict(vocab_size=30522, d_model=768, encoder_layers=6, decoder_layers=6, encoder_attention_heads=12,
                                decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072, pad_token_id=0,
                                bos_token_id=101, eos_token_id=102, decoder_start_token_id=102)),
    # t5-base's encoder (12 layers, ReLU FFN, 32 buckets) with a token classifier: leanpipe runs T5's encoder
    # heads only, so this family is timed as token-classification (per-token answers) in both libraries
    "t5": ("T5Config", dict(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12)),
    # bigbird-roberta-base's shape (block-sparse, which corpus sentences are far too short for: full attention)
    "bigbird": ("BigBirdConfig", dict(vocab_size=30522, pad_token_id=0, sep_token_id=102)),
    # rembert's layout (narrow input embeddings, wide untied output ones) at base size; rembert itself is 32 x 1152
    "rembert": ("RemBertConfig", dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                      intermediate_size=3072, input_embedding_size=256, output_embedding_size=768,
                                      pad_token_id=0)),
    "convbert": ("ConvBertConfig", dict(vocab_size=30522, pad_token_id=0)),  # conv-bert-base's shape
    "fnet": ("FNetConfig", dict(vocab_size=30522, pad_token_id=0)),  # fnet-base's shape
    "layoutlm": ("LayoutLMConfig", dict(vocab_size=30522, pad_token_id=0)),  # layoutlm-base's shape, no boxes (zeros)
    # embeddinggemma-300m's shape (24 layers, 3 query heads and 1 key / value head of 256, 4 full layers in 24) on
    # the shared BERT vocabulary; timed as feature-extraction, what it is for (arrays on both sides)
    "embeddinggemma": ("Gemma3TextConfig", dict(vocab_size=30522, hidden_size=768, intermediate_size=1152, num_hidden_layers=24,
                                                num_attention_heads=3, num_key_value_heads=1, head_dim=256,
                                                max_position_embeddings=2048, sliding_window=512, query_pre_attn_scalar=256,
                                                use_bidirectional_attention=True, pad_token_id=0)),
    # Qwen3-Embedding-0.6B's shape (28 causal layers, 16 query heads and 8 key / value heads of 128, gated silu MLP)
    # on the shared BERT vocabulary; timed as feature-extraction, what it is for (arrays on both sides)
    "qwen3-embedding": ("Qwen3Config", dict(vocab_size=30522, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                                            num_attention_heads=16, num_key_value_heads=8, head_dim=128,
                                            max_position_embeddings=32768, rope_theta=1_000_000.0, tie_word_embeddings=True,
                                            pad_token_id=0)),
    # SmolLM2-135M's shape (Llama: 30 causal layers, 9 query heads and 3 key / value heads of 64, gated silu MLP) as a
    # sequence classifier (the last non-pad token's row), the small end of the Llama family a CPU box runs
    "smollm2": ("LlamaConfig", dict(vocab_size=30522, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                                    num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
                                    rope_theta=100_000.0, rms_norm_eps=1e-5, tie_word_embeddings=True, pad_token_id=0)),
}
# tokenizer_config.json's model_input_names where the family's own tokenizer gives other inputs than
# BERT's (FNet takes no attention_mask: FNetTokenizer gives input_ids and token_type_ids)
MODEL_INPUT_NAMES = {"fnet": ["input_ids", "token_type_ids"]}
# the task and model head a family is timed with, where not text-classification / a sequence classifier
TASKS = {"t5": ("token-classification", "AutoModelForTokenClassification"), "embeddinggemma": ("feature-extraction", "AutoModel"),
         "qwen3-embedding": ("feature-extraction", "AutoModel")}
DEFAULT_TASK = ("text-classification", "AutoModelForSequenceClassification")


def folder(name: str) -> Path:
    return CACHE / "families" / name


def build(name: str) -> None:
    """The random classifier and MiniLM's tokenizer files into folder(name) (child process: imports torch)."""
    import torch
    import transformers

    config_class, kwargs = FAMILIES[name]
    torch.manual_seed(0)
    config = getattr(transformers, config_class)(num_labels=2, **kwargs)
    model = getattr(transformers, TASKS.get(name, DEFAULT_TASK)[1]).from_config(config).eval()
    out = folder(name)
    model.save_pretrained(out)
    for file in TOKENIZER_FILES:
        shutil.copy(Path(minilm_path()) / file, out / file)
    if name in MODEL_INPUT_NAMES:
        settings = json.loads((out / "tokenizer_config.json").read_text())
        (out / "tokenizer_config.json").write_text(json.dumps({**settings, "model_input_names": MODEL_INPUT_NAMES[name]}))


def latency_ms(call, texts: list[str]) -> float:
    for text in texts[:5]:
        call(text)
    times = []
    for i in range(CALLS):
        start = time.perf_counter()
        call(texts[i % len(texts)])
        times.append(time.perf_counter() - start)
    return 1000 * median(times)


def warmup_texts(texts: list[str], lengths: list[int]) -> list[str]:
    longest = sorted(range(len(texts)), key=lengths.__getitem__)[-BATCH:]
    return texts[:BATCH] + [texts[i] for i in longest]


def measure_leanpipe(name: str, sentences: int) -> dict:
    from leanpipe import AutoTokenizer, pipeline

    texts = make_corpus(2000)[:sentences]
    lengths = [len(ids) for ids in AutoTokenizer.from_pretrained(folder(name))(texts, truncation=True)["input_ids"]]
    task = TASKS.get(name, DEFAULT_TASK)[0]
    pipe, extra = pipeline(task, model=str(folder(name))), call_options(task)
    pipe(warmup_texts(texts, lengths), batch_size=BATCH, **extra)
    seconds = timed_passes(lambda: pipe(texts, batch_size=BATCH, **extra), PASSES)
    return {"real_tokens": sum(lengths), "pipeline_s": seconds,
            "latency_ms": latency_ms(lambda t: pipe(t, **extra), texts)}


def call_options(task: str) -> dict:
    """truncation=True where the task takes it (token-classification has no such parameter; the
    corpus' sentences are far below every model's limit anyway); features as arrays, as bench/run.py times them."""
    return {"truncation": True} if task == "text-classification" else {"return_tensors": True} if task == "feature-extraction" else {}


def measure_transformers(name: str, sentences: int) -> dict:
    import torch
    import transformers

    texts = make_corpus(2000)[:sentences]
    path = str(folder(name))
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    task, auto = TASKS.get(name, DEFAULT_TASK)
    model = getattr(transformers, auto).from_pretrained(path).eval()
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True)["input_ids"]]
    order = sorted(range(len(texts)), key=lengths.__getitem__)

    def loop(items: list[int]) -> None:
        with torch.inference_mode():
            for start in range(0, len(items), BATCH):
                batch = [texts[i] for i in items[start:start + BATCH]]
                model(**tokenizer(batch, padding=True, truncation=True, return_tensors="pt"))

    loop(order[:BATCH] + order[-BATCH:])
    loop_s = timed_passes(lambda: loop(order), PASSES)
    pipe, extra = transformers.pipeline(task, model=model, tokenizer=tokenizer, batch_size=BATCH), call_options(task)
    pipe(warmup_texts(texts, lengths), **extra)
    pipeline_s = timed_passes(lambda: pipe(texts, **extra), passes=1)  # the slowest system: one pass
    pipe1 = transformers.pipeline(task, model=model, tokenizer=tokenizer)
    return {"real_tokens": sum(lengths), "loop_s": loop_s, "pipeline_s": pipeline_s,
            "latency_ms": latency_ms(lambda t: pipe1(t, **extra), texts)}


def row(name: str, lp: dict, tf: dict) -> dict:
    tokens = lp["real_tokens"]
    if tokens != tf["real_tokens"]:
        raise RuntimeError(f"{name}: leanpipe read {tokens} real tokens, transformers {tf['real_tokens']}")
    speeds = {"leanpipe": tokens / lp["pipeline_s"], "torch loop": tokens / tf["loop_s"],
              "transformers pipeline": tokens / tf["pipeline_s"]}
    return {"family": name, "measured": time.strftime("%Y-%m-%d %H:%M"), "host": cpu_model(), "real_tokens": tokens,
            "tokens_per_s": speeds,
            "vs_loop": speeds["leanpipe"] / speeds["torch loop"],
            "vs_pipeline": speeds["leanpipe"] / speeds["transformers pipeline"],
            "latency_ms": {"leanpipe": lp["latency_ms"], "transformers": tf["latency_ms"]}}


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    lines = ["# Other families: leanpipe vs transformers", "",
             f"`python bench/families.py --sentences {args.sentences} "
             f"--threads {args.threads}`: random-weight base-sized classifiers, text-classification (t5: "
             f"token-classification; embeddinggemma, qwen3-embedding: feature-extraction, arrays) at batch "
             f"{BATCH} over the first {args.sentences} corpus sentences (MiniLM's tokenizer for all), median of "
             f"{PASSES} passes (transformers' pipeline: 1); batch-1: median of {CALLS} calls.", "",
             "| family | real tokens | leanpipe tok/s | sorted torch loop tok/s | transformers pipeline tok/s "
             "| vs loop | vs pipeline | batch-1 ms (leanpipe / transformers) | measured (host) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, lat = r["tokens_per_s"], r["latency_ms"]
        lines.append(f"| {r['family']} | {r['real_tokens']:,} | {s['leanpipe']:,.0f} | {s['torch loop']:,.0f} | "
                     f"{s['transformers pipeline']:,.0f} | {r['vs_loop']:.2f}x | {r['vs_pipeline']:.2f}x | "
                     f"{lat['leanpipe']:.1f} / {lat['transformers']:.1f} | {r['measured']} ({host(r)}) |")
    return "\n".join(lines) + "\n"


def host(row: dict) -> str:
    """The CPU a row ran on, short: this workplace's host changes between hours (an Intel Xeon with AMX,
    an AMD EPYC), which moves every library's speed, so rows measured on different hosts compare by ratio."""
    return row.get("host", "unknown").replace("(R)", "").replace(" Processor", "")


def merged(path: Path, rows: list[dict]) -> list[dict]:
    """This run's rows over the earlier ones in `path` (kept for the families not run), in FAMILIES' order.
    Rows written before rows carried their time are the full run of 2026-12-05 10:27."""
    earlier = json.loads(path.read_text()) if path.exists() else []
    by_name = {r["family"]: {"measured": "2026-12-05 10:27", **r} for r in earlier}
    by_name.update({r["family"]: r for r in rows})
    return sorted(by_name.values(), key=lambda r: list(FAMILIES).index(r["family"]) if r["family"] in FAMILIES else len(FAMILIES))


def main(argv: list[str]) -> None:
    args, names = family_arguments(__doc__, FAMILIES, argv, sentences=(int, 384))
    if args.child:
        role, name = args.child
        work = {"build": lambda: build(name) or {}, "leanpipe": lambda: measure_leanpipe(name, args.sentences),
                "transformers": lambda: measure_transformers(name, args.sentences)}[role]
        print(json.dumps(work()))
        return
    rows = []
    for name in names:
        child = [sys.executable, __file__, "--sentences", str(args.sentences), "--child"]
        if not (folder(name) / "config.json").exists():
            run_json(child + ["build", name], args.threads)
        lp = run_json(child + ["leanpipe", name], args.threads)
        tf = run_json(child + ["transformers", name], args.threads)
        rows.append(row(name, lp, tf))
        print(f"{name}: {rows[-1]['vs_loop']:.2f}x the torch loop, {rows[-1]['vs_pipeline']:.2f}x the pipeline", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = merged(args.out / "families.json", rows)
    (args.out / "families.json").write_text(json.dumps(rows, indent=1))
    (args.out / "families.md").write_text(markdown(rows, args))
    print(f"wrote {args.out / 'families.md'}")


if __name__ == "__main__":
    main(sys.argv[1:])
