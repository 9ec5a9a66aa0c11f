"""BigBird (model_type "big_bird") against transformers 5.2 on the same files.

Tiny random checkpoints of every head leanpipe runs for BigBird, perturbed so a
wrong term shows, under MiniLM's WordPiece tokenizer, in three shapes: "full" (attention_type
original_full), "sparse" (block_sparse, as the released models: inputs this short make transformers
switch to full attention) and "rescaled" (rescale_embeddings). Outputs within 1e-4 (max abs printed) on
both engines; hidden states, attentions, num_parameters and the pipelines as transformers'; past the
block-sparse length (56 tokens here) the same again, as transformers runs its block-sparse attention."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import (ATOL, ENGINES, PARITY_MARKS, check_pipelines, int8_test,  # noqa: E402
                           check_head_on_engines, check_multiple_choice)
from leanpipe.errors import ConfigError  # noqa: E402
from tiny_families import (AUTO, HEAD_NAMES, check_config_defaults, check_tokenizer_json_only, reference_inputs,  # noqa: E402
                           sentencepiece_folders, tiny_models)

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, max_position_embeddings=128)
# block_sparse with blocks of 8 and one random block: (5 + 2) * 8 = 56 tokens run with full attention
SHAPES = {"full": {"attention_type": "original_full"}, "sparse": {"attention_type": "block_sparse", "block_size": 8, "num_random_blocks": 1},
          "rescaled": {"attention_type": "original_full", "rescale_embeddings": True}}
HEADS = {"Model": ("last_hidden_state", "pooler_output"), "ForSequenceClassification": ("logits",),
         "ForTokenClassification": ("logits",), "ForMaskedLM": ("logits",), "ForPreTraining": ("prediction_logits", "seq_relationship_logits"),
         "ForQuestionAnswering": ("start_logits", "end_logits")}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "BigBird", SHAPES, sep_token_id=102, **TINY)


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_parity(models, shape, head, support):
    folder = models(shape, head)
    references = reference_inputs(folder)
    assert all(r["input_ids"].shape[1] <= 56 for r in references)  # all within the block-sparse models' full-attention length
    theirs = getattr(transformers, f"BigBird{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, AUTO[head], references, HEADS[head], f"big_bird/{shape}/{head}")
    support("big_bird", "head", HEAD_NAMES[head])


def test_question_answering_without_token_types(models):
    """BigBird's own tokenizer gives no token_type_ids: the model types the question 0 and the rest 1 from
    the first [SEP], and masks the question's logits, as transformers does; rows with no [SEP] too."""
    folder = models("full", "ForQuestionAnswering")
    theirs = transformers.BigBirdForQuestionAnswering.from_pretrained(folder).eval()
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    batch = tok(["Where is it?", "Who?"], ["It is in the box on the table.", "Nobody at all"], padding=True, return_tensors="pt")
    assert "token_type_ids" not in batch  # as BigBird's own tokenizer gives them
    batch["input_ids"][1, :] = torch.where(batch["input_ids"][1] == 102, 2000, batch["input_ids"][1])  # a row without [SEP]
    typed = {**batch, "token_type_ids": torch.zeros_like(batch["input_ids"])}  # given: used as they are
    for inputs, what in ((batch, "without token types"), (typed, "with token types given")):
        with torch.no_grad():
            expected = theirs(**inputs)
        for engine in ENGINES:
            got = leanpipe.AutoModelForQuestionAnswering.from_pretrained(folder, engine=engine)(**{k: v.numpy() for k, v in inputs.items()})
            for key in ("start_logits", "end_logits"):
                assert_close(got[key], expected[key].numpy(), ATOL, f"qa {what} {engine} {key}")


def test_multiple_choice(models, support):
    folder = models("sparse", "ForMultipleChoice")
    check_multiple_choice(folder, transformers.BigBirdForMultipleChoice.from_pretrained(folder).eval(), "big_bird")
    support("big_bird", "head", "multiple-choice")


def test_pipelines(models):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them (the block-sparse shape's, past its length: test_block_sparse_pipelines)."""
    full = lambda _model_type, head: models("full", head)  # noqa: E731  (some inputs pass 56 tokens)
    check_pipelines(full, "big_bird")


def long_inputs(folder) -> list[dict]:
    """Torch inputs past the sparse shape's 56 tokens: one text of exactly 96 (whole blocks of 8, so
    transformers' hidden states and attentions, which keep the block padding, line up with leanpipe's),
    a padded batch of three texts (57-128 tokens, one under 56 alone) and a padded batch of two pairs."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    words = " ".join(TEXTS).split()
    one = tok([" ".join(words)], truncation=True, max_length=96, return_tensors="pt")
    texts = tok([" ".join(words[:n]) for n in (30, 60, 120)], padding=True, truncation=True, max_length=125, return_tensors="pt")
    pairs = tok([" ".join(words[:25]), " ".join(words[5:12])], [" ".join(words[40:90]), " ".join(words[90:140])],
                padding=True, truncation=True, max_length=120, return_tensors="pt")
    return [dict(one), dict(texts), dict(pairs)]


@pytest.mark.parametrize("head", list(HEADS))
def test_block_sparse_parity(models, head):
    """Past 56 tokens the sparse shape runs block-sparse attention in transformers (its random blocks all
    block 0 in eval): every head's outputs within 1e-4 on both engines, hidden states and attentions too."""
    folder = models("sparse", head)
    references = long_inputs(folder)
    assert references[0]["input_ids"].shape[1] == 96 and all(r["input_ids"].shape[1] > 56 for r in references)
    theirs = getattr(transformers, f"BigBird{head}").from_pretrained(folder).eval()  # never sees a short batch
    check_head_on_engines(folder, theirs, AUTO[head], references, HEADS[head], f"big_bird/block_sparse/{head}")


def test_block_sparse_more_random_blocks_and_odd_lengths(models):
    """Three random blocks (as the released models), lengths that are no multiple of the block: each
    batch as a freshly loaded transformers model runs it, both engines, int8 near fp32."""
    folder = models("sparse", "Model")
    config = {"num_random_blocks": 3}  # (5 + 6) * 8 = 88 tokens run with full attention
    ours = {engine: leanpipe.AutoModel.from_pretrained(folder, engine=engine, **config) for engine in ENGINES}
    rng = np.random.default_rng(0)
    for lengths in ([88], [89], [127, 60, 100], [90, 90]):
        ids = rng.integers(1000, 20000, (len(lengths), max(lengths)))
        mask = (np.arange(max(lengths))[None] < np.array(lengths)[:, None]).astype(np.int64)
        theirs = transformers.BigBirdModel.from_pretrained(folder, **config).eval()
        with torch.no_grad():
            expected = theirs(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state.numpy()
        for engine, model in ours.items():
            got = model(input_ids=ids, attention_mask=mask).last_hidden_state
            print(f"big_bird r=3 {lengths} {engine}: max abs diff {np.abs(got - expected).max():.2e}")
            assert_close(got, expected, ATOL, f"big_bird r=3 {lengths} {engine}")
    int8 = leanpipe.AutoModel.from_pretrained(folder, quantize="int8", **config)(input_ids=ids, attention_mask=mask).last_hidden_state
    fp32 = ours["onnx"](input_ids=ids, attention_mask=mask).last_hidden_state
    assert np.abs(int8 - fp32).max() < 0.05 * np.abs(fp32).max()


def test_original_full_at_any_length(models):
    """attention_type='original_full' (here a block-sparse checkpoint loaded with it) is full attention
    past 56 tokens too, as transformers runs it."""
    full = leanpipe.AutoModel.from_pretrained(models("sparse", "Model"), attention_type="original_full")
    theirs = transformers.BigBirdModel.from_pretrained(models("sparse", "Model"), attention_type="original_full").eval()
    long = np.random.default_rng(0).integers(1000, 20000, (2, 120))
    with torch.no_grad():
        expected = theirs(input_ids=torch.from_numpy(long)).last_hidden_state.numpy()
    assert_close(full(input_ids=long).last_hidden_state, expected, ATOL, "original_full at 120 tokens")


def test_block_sparse_pipelines(models):
    """Texts past 56 tokens, several per call, each as transformers' pipeline answers it with a freshly
    loaded model (after any shorter batch transformers keeps its model on full attention for good):
    feature-extraction and text-classification within 1e-4."""
    words = " ".join(TEXTS).split()
    texts = [" ".join(words[:n]) for n in (40, 25, 65, 8, 50)]  # 77, 51, 112, 13 and 96 tokens
    for task, head in (("feature-extraction", "Model"), ("text-classification", "ForSequenceClassification")):
        folder = models("sparse", head)
        call = {"truncation": True, **({"top_k": None} if task == "text-classification" else {})}
        got = leanpipe.pipeline(task, model=folder, batch_size=4)(texts, **call)
        for text, mine in zip(texts, got):
            theirs = transformers.pipeline(task, model=getattr(transformers, f"BigBird{head}").from_pretrained(folder).eval(),
                                           tokenizer=transformers.AutoTokenizer.from_pretrained(folder))
            expected = theirs(text, **call)
            if task == "feature-extraction":
                assert_close(np.array(mine), np.array(expected), ATOL, f"{task} {len(text.split())} words")
            else:
                assert [r["label"] for r in mine] == [r["label"] for r in expected], task
                assert_close(np.array([r["score"] for r in mine]), np.array([r["score"] for r in expected]), ATOL, task)


def test_block_sparse_question_answering_windows(models):
    """The question-answering pipeline over a long context in windows of 100 tokens (past the sparse shape's
    56: block-sparse), the answers as transformers' pipeline gives them with a freshly loaded model."""
    from family_checks import same

    folder = models("sparse", "ForQuestionAnswering")
    question, context = "Where is the café?", "The café naïve is in New York, close to the lazy dog. " * 12
    call = dict(question=question, context=context, top_k=3, max_seq_len=100, doc_stride=30)
    expected = transformers.pipeline("question-answering", model=str(folder))(**call)
    got = leanpipe.pipeline("question-answering", model=folder)(**call)
    same(got, expected, "big_bird block-sparse qa")
    scores = [a["score"] for a in expected]  # a random model's: small, so compared relatively too
    assert [a["score"] for a in got] == pytest.approx(scores, rel=1e-4)
    full = leanpipe.AutoModelForQuestionAnswering.from_pretrained(folder, attention_type="original_full")
    answers = leanpipe.pipeline("question-answering", model=full, tokenizer=str(folder))(**call)
    assert [a["score"] for a in answers] != pytest.approx(scores, rel=1e-3)  # full attention answers otherwise: the windows ran sparse


def test_config_defaults_and_refusals(tmp_path):
    """transformers' defaults; config.json values leanpipe cannot run are refused at load, naming them."""
    for value, match in ((("attention_type", "sliding"), "attention_type='sliding' must be"), (("use_bias", False), "use_bias=False")):
        leanpipe.BigBirdConfig(**dict([value])).save_pretrained(tmp_path)
        with pytest.raises(ConfigError, match=match):
            leanpipe.AutoConfig.from_pretrained(tmp_path)
    check_config_defaults("BigBirdConfig")


def test_bigbird_sentencepiece_tokenizer_from_tokenizer_json(tmp_path, support):
    """BigBird's own tokenizer (SentencePiece, [CLS] A [SEP] B [SEP]) as transformers saves it: tokenizer.json,
    read as it is, gives transformers' ids, masks and offsets; spiece.model alone is refused with the fix."""
    legacy, saved = sentencepiece_folders(tmp_path, "BigBird", "spiece.model", pad_id=0, unk_id=3, bos_id=1, eos_id=2, control_symbols=["[SEP]", "[CLS]"], user_defined_symbols=["[MASK]"])
    check_tokenizer_json_only(legacy, saved, "BigBirdTokenizer", "big_bird")
    support("big_bird", "tokenizer", "tokenizer.json")


# (question answering left out: its question logits less 1e6 would dominate the relative error)
test_int8_runs_near_fp32 = int8_test(["full"], ["Model", "ForSequenceClassification", "ForMaskedLM"])
