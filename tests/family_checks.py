"""Comparison helpers the family parity tests share: encodings, nested results, pipelines."""

from __future__ import annotations

import numpy as np
import pytest
import transformers

import leanpipe

ATOL = 1e-4  # max abs difference from transformers, logits and hidden states alike
ENGINES = ("onnx", "numpy")
# every family parity module's pytestmark: transformers' deprecation chatter off, torch on one thread
PARITY_MARKS = [pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning"),
                pytest.mark.usefixtures("torch_one_thread")]


def plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def assert_same_encoding(ours, theirs, what):
    assert list(ours.keys()) == list(theirs.keys()), what
    for key in theirs:
        assert plain(ours[key]) == plain(theirs[key]), f"{what}: {key}"
    for mine, ref in zip(ours.encodings, theirs.encodings, strict=True):
        assert (mine.tokens, mine.word_ids, mine.sequence_ids) == (ref.tokens, ref.word_ids, ref.sequence_ids), what


def same(ours, theirs, where="result"):
    """Recursive equality: strings and ints exact, floats within ATOL (transformers' NER scores are np.float32)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r} vs {theirs!r}"
        for k in theirs:
            same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r} vs {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, (float, np.floating)):  # transformers' NER scores are np.float32
        assert abs(ours - theirs) <= ATOL, f"{where}: {ours} vs {theirs} (diff {abs(ours - theirs):.3g})"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def reference_and_ours(prefix: str, head: str, auto: str, folder, engine: str):
    """transformers' `<prefix><head>` (eval mode) and leanpipe's `auto` class on `folder`, and transformers'
    tokenizer; leanpipe's model must carry transformers' class name."""
    theirs = getattr(transformers, f"{prefix}{head}").from_pretrained(folder).eval()
    ours = getattr(leanpipe, auto).from_pretrained(folder, engine=engine)
    assert type(ours).__name__ == f"{prefix}{head}"
    check_model_helpers(ours, theirs, f"{prefix}{head}/{engine}")
    return theirs, ours, transformers.AutoTokenizer.from_pretrained(folder)


def check_head_on_engines(folder, theirs, auto: str, references: list[dict], keys, what: str, *,
                          attentions: bool = True, tuple_like_theirs: bool = True) -> None:
    """leanpipe's `auto` class (AutoModel, AutoModelForMaskedLM, ...) from `folder` on both engines against
    transformers' model `theirs` (eval mode) on each of `references` (torch inputs): every output in `keys`
    within ATOL (max abs printed), then the hidden states, model helpers and (`attentions`) attentions of the first."""
    import torch

    from conftest import assert_close

    expected = []
    for inputs in references:
        with torch.no_grad():
            out = theirs(**inputs)
        expected.append({key: out[key].numpy() for key in keys})
    for engine in ENGINES:
        ours = getattr(leanpipe, auto).from_pretrained(folder, engine=engine)
        assert type(ours).__name__ == type(theirs).__name__
        for i, (inputs, reference) in enumerate(zip(references, expected)):
            got = ours(**{k: v.numpy() for k, v in inputs.items()})
            for key, value in reference.items():
                print(f"{what} {engine} input {i} {key}: max abs diff {np.abs(got[key] - value).max():.2e}")
                assert_close(got[key], value, ATOL, f"{what}/{engine}/input {i}/{key}")
        check_hidden_states(ours, theirs, references[0], f"{what}/{engine}", tuple_like_theirs)
        check_model_helpers(ours, theirs, f"{what}/{engine}")
        if attentions:
            check_attentions(ours, folder, type(theirs), references[0], f"{what}/{engine}")


def check_multiple_choice(folder, theirs, what: str) -> None:
    """A (B, C, T) batch of (prompt, choice) pairs through leanpipe's AutoModelForMultipleChoice on both
    engines against transformers' `theirs`: logits (B, C) within ATOL, and the model helpers."""
    import torch

    from conftest import assert_close

    tok = transformers.AutoTokenizer.from_pretrained(folder)
    prompts, choices = ["The cat sat on the mat and then it", "Where is the milk?"], [["slept.", "flew away"], ["In the fridge.", "gone"]]
    batch = tok([p for p, cs in zip(prompts, choices) for _ in cs], [c for cs in choices for c in cs], padding=True, return_tensors="pt")
    inputs = {k: v.view(2, 2, -1) for k, v in batch.items()}
    with torch.no_grad():
        expected = theirs(**inputs).logits.numpy()
    for engine in ENGINES:
        ours = leanpipe.AutoModelForMultipleChoice.from_pretrained(folder, engine=engine)
        assert_close(ours(**{k: v.numpy() for k, v in inputs.items()}).logits, expected, ATOL, f"{what} multiple choice {engine}")
        check_model_helpers(ours, theirs, f"{what} multiple choice {engine}")


def compare_texts_and_batch(theirs, ours, tokenizer, texts, keys, what: str, **flags):
    """Each text alone, then the texts as one padded batch (per-token outputs compared on the real
    tokens only), every output in `keys` within ATOL of transformers'. `flags` (output_hidden_states=...)
    go to both models' batch call. -> (ours, transformers', real-token mask) for the batch."""
    import torch

    from conftest import assert_close

    for text in texts:
        with torch.no_grad():
            expected = theirs(**tokenizer(text, return_tensors="pt"))
        got = ours(**tokenizer(text, return_tensors="np"))
        for key in keys:
            assert_close(got[key], expected[key].numpy(), ATOL, f"{what}/{key} {text[:20]!r}")
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.no_grad():
        expected = theirs(**batch, **flags)
    got = ours(**{k: v.numpy() for k, v in batch.items()}, **flags)
    real = batch["attention_mask"].numpy() == 1
    for key in keys:
        mine, ref = got[key], expected[key].numpy()
        if mine.ndim >= 2 and mine.shape[:2] == real.shape:  # per token: padding positions are not compared
            mine, ref = mine[real], ref[real]
        assert_close(mine, ref, ATOL, f"{what}/{key} padded batch")
    return got, expected, real


PIPELINE_TEXTS = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!",
                  "Ångström café naïve 中文字符 👍🏽", "short"]


def both_pipelines(task, folder):
    return leanpipe.pipeline(task, model=folder), transformers.pipeline(task, model=str(folder))


# --- the per-family pipeline checks (tests/test_families.py and tests/test_families_more.py run them
# for their own families; `models(model_type, head)` is each file's fixture building a tiny checkpoint)

def pipeline_tests(families):
    """The three parametrized pipeline tests over `families`, for a test module to bind at its top level:
    `test_a, test_b, test_c = pipeline_tests(FAMILIES)`."""

    over = pytest.mark.parametrize("model_type", families)

    @over
    def test_text_classification_and_feature_extraction(models, model_type):
        check_classification_and_features(models, model_type)

    @over
    def test_fill_mask(models, model_type):
        check_fill_mask(models, model_type)

    @over
    def test_token_classification_and_question_answering(models, model_type):
        check_ner_and_qa(models, model_type)

    return test_text_classification_and_feature_extraction, test_fill_mask, test_token_classification_and_question_answering


def check_pipelines(models, model_type):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them (a family test file's whole pipeline check)."""
    check_classification_and_features(models, model_type)
    check_fill_mask(models, model_type)
    check_ner_and_qa(models, model_type)


def check_classification_and_features(models, model_type):
    from conftest import assert_close
    from corpus import PAIRS

    ours, theirs = both_pipelines("text-classification", models(model_type, "ForSequenceClassification"))
    pairs = [{"text": a, "text_pair": b} for a, b in PAIRS[:3]]
    for inputs, kwargs in [(PIPELINE_TEXTS, {}), (PIPELINE_TEXTS, {"top_k": None}), (pairs, {"top_k": None})]:
        same(ours(inputs, **kwargs), theirs(inputs, **kwargs), f"{model_type} text-classification")
    ours, theirs = both_pipelines("feature-extraction", models(model_type, "Model"))
    for text in PIPELINE_TEXTS:
        assert_close(np.array(ours(text)), np.array(theirs(text)), ATOL, f"{model_type} feature-extraction")


def check_fill_mask(models, model_type):
    ours, theirs = both_pipelines("fill-mask", models(model_type, "ForMaskedLM"))
    mask = theirs.tokenizer.mask_token
    inputs = [f"Hello {mask} world.", f"The quick brown {mask} jumps over the lazy dog."]
    same(ours(inputs, top_k=3), theirs(inputs, top_k=3), f"{model_type} fill-mask")


def check_ner_and_qa(models, model_type):
    ours, theirs = both_pipelines("token-classification", models(model_type, "ForTokenClassification"))
    for strategy in ("none", "simple"):
        same(ours(PIPELINE_TEXTS, aggregation_strategy=strategy), theirs(PIPELINE_TEXTS, aggregation_strategy=strategy),
             f"{model_type} ner {strategy}")
    ours, theirs = both_pipelines("question-answering", models(model_type, "ForQuestionAnswering"))
    question, context = "Where is the café?", "The café naïve is in New York, close to the lazy dog. " * 3
    same(ours(question=question, context=context, top_k=2), theirs(question=question, context=context, top_k=2),
         f"{model_type} qa")


# --- output_hidden_states and return_dict, for every family's parity test

def check_hidden_states(ours, theirs, inputs, what, tuple_like_theirs: bool = True):
    """`ours(**inputs, output_hidden_states=True)` against transformers (torch `inputs`): the embeddings'
    output then every layer's, each within ATOL (max abs printed), the head's outputs unchanged; a plain
    call afterwards has no hidden_states, and return_dict=False gives transformers' tuple (unless
    `tuple_like_theirs` is False: DPR's encoders, whose tuple in transformers 5.2 loses the hidden states)."""
    import torch
    from conftest import assert_close

    with torch.no_grad():
        expected = theirs(**inputs, output_hidden_states=True)
    arrays = {k: v.numpy() for k, v in inputs.items()}
    got = ours(**arrays, output_hidden_states=True)
    reference = expected.hidden_states
    assert len(got.hidden_states) == len(reference), f"{what}: {len(got.hidden_states)} hidden states, transformers {len(reference)}"
    for i, (mine, ref) in enumerate(zip(got.hidden_states, reference)):
        print(f"{what} hidden_states[{i}]: max abs diff {np.abs(mine - ref.numpy()).max():.2e}")
        assert_close(mine, ref.numpy(), ATOL, f"{what}/hidden_states[{i}]")
    keys = [k for k in got if k != "hidden_states"]  # transformers may add a pooler the checkpoint lacks (random)
    assert list(got)[-1] == "hidden_states" and set(keys) <= set(expected.keys()), f"{what}: {list(got)} vs {list(expected.keys())}"
    for key in keys:
        assert_close(got[key], expected[key].numpy(), ATOL, f"{what}/{key} with hidden states")
    plain_call = ours(**arrays)
    assert "hidden_states" not in plain_call and plain_call.hidden_states is None, what
    for key in keys:
        assert_close(plain_call[key], expected[key].numpy(), ATOL, f"{what}/{key} after hidden states")
    as_tuple = ours(**arrays, return_dict=False, output_hidden_states=True)
    with torch.no_grad():
        their_tuple = theirs(**inputs, return_dict=False, output_hidden_states=True)
    assert isinstance(as_tuple, tuple) and len(as_tuple) == len(keys) + 1, f"{what}: return_dict=False"
    for value, key in zip(as_tuple, keys):  # the dict's values in its order, then the hidden states
        assert_close(value, got[key], 0.0, f"{what}: return_dict=False, {key}")
    if not tuple_like_theirs:
        assert isinstance(as_tuple[-1], tuple) and len(as_tuple[-1]) == len(reference), f"{what}: tuple's hidden states"
        return
    if set(keys) == set(expected.keys()) - {"hidden_states"}:
        assert len(as_tuple) == len(their_tuple), f"{what}: return_dict=False gives {len(as_tuple)} items, transformers {len(their_tuple)}"
    assert isinstance(as_tuple[-1], tuple) and len(as_tuple[-1]) == len(their_tuple[-1]), f"{what}: tuple's hidden states"


def check_attentions(ours, folder, theirs_cls, inputs, what):
    """`ours(**inputs, output_attentions=True)` against transformers' eager attention (its default sdpa
    returns none): every layer's probabilities (B, N, T, T) within ATOL (max abs printed) for the
    queries of real tokens, with the head's outputs unchanged; with output_hidden_states too, both come
    back. Padding queries are not compared: where a ModernBERT local window holds only padding,
    transformers' eager and sdpa kernels give those rows different values (leanpipe's match sdpa's,
    as the hidden-states check shows), and nothing downstream reads them."""
    import torch
    from conftest import assert_close

    theirs = theirs_cls.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        expected = theirs(**inputs, output_attentions=True)
    arrays = {k: v.numpy() for k, v in inputs.items()}
    got = ours(**arrays, output_attentions=True)
    reference = expected.attentions
    assert got.attentions is not None and len(got.attentions) == len(reference), \
        f"{what}: {len(got.attentions or ())} attentions, transformers {len(reference)}"
    real = arrays["attention_mask"][:, None, :, None].astype(bool) if "attention_mask" in arrays else True
    for i, (mine, ref) in enumerate(zip(got.attentions, reference)):
        mine, ref = np.where(real, mine, 0), np.where(real, ref.numpy(), 0)  # (B, N, T_query, T_key)
        print(f"{what} attentions[{i}]: max abs diff {np.abs(mine - ref).max():.2e}")
        assert_close(mine, ref, ATOL, f"{what}/attentions[{i}]")
    plain_call = ours(**arrays)  # the head's outputs as without attentions (checked against transformers elsewhere)
    assert [k for k in got if k != "attentions"] == list(plain_call), f"{what}: {list(got)} vs {list(plain_call)}"
    for key in plain_call:
        assert_close(got[key], plain_call[key], ATOL, f"{what}/{key} with attentions")
    both = ours(**arrays, output_attentions=True, output_hidden_states=True)
    assert both.hidden_states and len(both.attentions) == len(reference), f"{what}: both flags"
    for mine, again in zip(got.attentions, both.attentions):
        assert_close(again, mine, 0.0, f"{what}: attentions with hidden states too")
    assert "attentions" not in plain_call and plain_call.attentions is None, f"{what}: attentions without asking"


# --- an encoder-decoder's (BART's) output_hidden_states / output_attentions

SEQ2SEQ_RECORDS = ("decoder_hidden_states", "decoder_attentions", "cross_attentions", "encoder_hidden_states",
                   "encoder_attentions")
SEQ2SEQ_FLAGS = ({"output_hidden_states": True}, {"output_attentions": True},
                 {"output_hidden_states": True, "output_attentions": True})


def check_seq2seq_records(ours, folder, theirs_cls, inputs, what) -> float:
    """`ours(**inputs, **flags)` for each of SEQ2SEQ_FLAGS against transformers' eager attention (its
    default sdpa returns None for every attention) with use_cache=False (leanpipe keeps no
    past_key_values, which transformers otherwise puts second): the same output class name and fields
    in the same order, every tensor of every field within ATOL at every position, padding included
    (max abs printed per field); return_dict=False gives transformers' tuple. A plain call afterwards
    has none of the recorded fields. -> the largest difference seen."""
    import torch

    theirs = theirs_cls.from_pretrained(folder, attn_implementation="eager").eval()
    arrays = {k: v.numpy() for k, v in inputs.items()}
    worst = 0.0
    for flags in SEQ2SEQ_FLAGS:
        with torch.no_grad():
            expected = theirs(**inputs, **flags, use_cache=False)
            their_tuple = theirs(**inputs, **flags, use_cache=False, return_dict=False)
        got = ours(**arrays, **flags)
        where = f"{what} {'+'.join(sorted(flags))}"
        assert type(got).__name__ == type(expected).__name__, f"{where}: {type(got).__name__} vs {type(expected).__name__}"
        assert list(got) == list(expected.keys()), f"{where}: fields {list(got)} vs transformers' {list(expected.keys())}"
        for key in expected.keys():
            diff = same_tensors(got[key], expected[key], f"{where}/{key}")
            print(f"{where} {key}: max abs diff {diff:.2e}")
            worst = max(worst, diff)
        as_tuple = ours(**arrays, **flags, return_dict=False)
        assert isinstance(as_tuple, tuple) and len(as_tuple) == len(their_tuple), \
            f"{where}: return_dict=False gives {len(as_tuple)} items, transformers {len(their_tuple)}"
        for i, (mine, ref) in enumerate(zip(as_tuple, their_tuple)):
            same_tensors(mine, ref, f"{where}: return_dict=False [{i}]")
    plain_call = ours(**arrays)
    assert not set(plain_call) & set(SEQ2SEQ_RECORDS), f"{what}: a plain call gave {list(plain_call)}"
    assert all(getattr(plain_call, name) is None for name in SEQ2SEQ_RECORDS), what
    return worst


def same_tensors(mine, ref, where: str) -> float:
    """A tensor, or a tuple of them (hidden states, attentions), within ATOL of transformers' -> max abs diff."""
    from conftest import assert_close

    if isinstance(ref, tuple):
        assert isinstance(mine, tuple) and len(mine) == len(ref), f"{where}: {len(mine)} tensors, transformers {len(ref)}"
        return max((same_tensors(a, b, f"{where}[{i}]") for i, (a, b) in enumerate(zip(mine, ref))), default=0.0)
    ref = ref.numpy()
    assert_close(mine, ref, ATOL, where)
    return float(np.abs(np.asarray(mine) - ref).max()) if ref.size else 0.0


# --- tokenizer.save_pretrained

def check_saved_tokenizer(folder, saved, texts, pairs, options, what):
    """leanpipe's save_pretrained of `folder`'s tokenizer, loaded back by leanpipe and by transformers:
    the same encodings (ids, offsets, masks, words) as transformers' tokenizer of `folder`, and the same
    special tokens, vocabulary, added-token flags and model_max_length."""
    original = transformers.AutoTokenizer.from_pretrained(folder)
    written = leanpipe.AutoTokenizer.from_pretrained(folder).save_pretrained(saved)
    assert sorted(p.rsplit("/", 1)[-1] for p in written) == ["tokenizer.json", "tokenizer_config.json"], written
    for loaded in (leanpipe.AutoTokenizer.from_pretrained(saved), transformers.AutoTokenizer.from_pretrained(saved)):
        who = f"{what}: saved, loaded by {type(loaded).__module__.split('.')[0]}"
        for i, text in enumerate(texts):
            assert_same_encoding(loaded(text, **options), original(text, **options), f"{who}, text {i}")
        for i, (a, b) in enumerate(pairs):
            assert_same_encoding(loaded(a, b, **options), original(a, b, **options), f"{who}, pair {i}")
        for attr in ("special_tokens_map", "all_special_ids", "model_max_length", "padding_side", "model_input_names"):
            assert plain(getattr(loaded, attr)) == plain(getattr(original, attr)), f"{who}: {attr}"
        assert loaded.get_vocab() == original.get_vocab(), who
        flags = lambda t: {i: (a.content, a.special, a.lstrip, a.rstrip, a.normalized) for i, a in t.added_tokens_decoder.items()}  # noqa: E731
        assert flags(loaded) == flags(original), who


# --- int8: every family and head builds, runs and stays near fp32 ------------------------------------

INT8_RELATIVE_ERROR = 0.05  # ||int8 - fp32|| / ||fp32|| per output, on the tiny random checkpoints


def int8_test(families, heads, auto: dict[str, str] | None = None):
    """A parametrized test over `families` x `heads`: quantize="int8" builds (the graph, onnxruntime's
    quantizer, the per-token down-projections), runs on a padded batch, and each output stays within
    INT8_RELATIVE_ERROR of fp32's. `auto`: head -> leanpipe Auto class name, where not AutoModel{head}."""

    @pytest.mark.parametrize("head", heads)
    @pytest.mark.parametrize("model_type", families)
    def test_int8_runs_near_fp32(models, model_type, head):
        pytest.importorskip("onnx", reason="quantize='int8' needs the onnx package (the int8 and test extras)")
        folder = models(model_type, head)
        name = (auto or {}).get(head, "AutoModel" if head == "Model" else f"AutoModel{head}")
        model_class = getattr(leanpipe, name)
        inputs = dict(leanpipe.AutoTokenizer.from_pretrained(folder)(PIPELINE_TEXTS, padding=True, return_tensors="np"))
        fp32, int8 = model_class.from_pretrained(folder)(**inputs), model_class.from_pretrained(folder, quantize="int8")(**inputs)
        assert set(int8) == set(fp32)
        for key in fp32:
            error = float(np.linalg.norm(int8[key] - fp32[key]) / np.linalg.norm(fp32[key]))
            print(f"{model_type} {head} int8 {key}: relative error {error:.4f}")
            assert error <= INT8_RELATIVE_ERROR, f"{model_type}/{head}/{key}: int8 relative error {error:.4f}"

    return test_int8_runs_near_fp32


def check_model_helpers(ours, theirs, what):
    """can_generate() (False), base_model_prefix, num_parameters() and get_input_embeddings() (table,
    sizes, padding_idx, lookup) as transformers' torch model gives them."""
    import torch

    # a base checkpoint saved without a pooler: transformers' model adds a random one (counted), leanpipe runs none
    pooler = getattr(theirs, "pooler", None)
    no_pooler = pooler is not None and not any(".pooler." in f".{name}" for name in ours._parameter_sizes)
    random_part = sum(p.numel() for p in pooler.parameters()) if no_pooler else 0
    for options in ({}, {"exclude_embeddings": True}, {"only_trainable": True}):
        mine, ref = ours.num_parameters(**options), theirs.num_parameters(**options) - random_part
        assert mine == ref, f"{what}: num_parameters({options}) {mine} vs transformers' {ref} (difference {mine - ref})"

    # leanpipe generates no text, also where transformers' class can (BartForConditionalGeneration)
    assert ours.can_generate() is False, what  # (BART's generate() only says so)
    assert ours.base_model_prefix == theirs.base_model_prefix, f"{what}: {ours.base_model_prefix!r} vs {theirs.base_model_prefix!r}"
    mine, ref = ours.get_input_embeddings(), theirs.get_input_embeddings()
    assert np.array_equal(mine.weight, ref.weight.detach().numpy()), f"{what}: input embedding table"
    if not hasattr(ref, "num_embeddings"):  # I-BERT's QuantEmbedding: no nn.Embedding attributes, its calls give (rows, scale)
        assert (mine.num_embeddings, mine.embedding_dim, mine.padding_idx) == (ref.num_, ref.dim, ref.padding_idx), what
        return
    assert (mine.num_embeddings, mine.embedding_dim, mine.padding_idx) == (ref.num_embeddings, ref.embedding_dim, ref.padding_idx), what
    ids = torch.tensor([[1, 2, 3], [0, 4, 5]])
    looked_up = mine(ids)
    assert isinstance(looked_up, torch.Tensor) and torch.equal(looked_up, ref(ids).detach()), f"{what}: lookup"
    assert np.array_equal(mine([1, 2]), ref(torch.tensor([1, 2])).detach().numpy()), f"{what}: lookup of a list"
