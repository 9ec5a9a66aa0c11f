"""`pipeline(task, model)`: tokenizer + model + task, with length-sorted batching.

>>> classify = pipeline("sentiment-analysis", model="path/or/repo-id")
>>> classify(["I love it", "I hate it"])
[{'label': 'POSITIVE', 'score': 0.99...}, {'label': 'NEGATIVE', 'score': 0.99...}]
"""

from __future__ import annotations

import collections
import collections.abc
import contextlib
import gc
import itertools
import logging
import os
import types
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from . import batching
from .errors import CheckpointError, ConfigError, InputError
from .models.inputs import refuse_empty_rows
from .placement import check_placement
from .tasks import Task, task_class
from .tokenization import pad_encodings

logger = logging.getLogger(__name__)

CHUNK = 4096  # inputs tokenized and sorted together; bounds memory on long streams


class Pipeline:
    """Runs one task: `pipe(inputs, **params)`; `pipe.stream(iterable)` yields results lazily.

    `pipe.task` is the task's name as the caller gave it ("sentiment-analysis"), as in transformers;
    `pipe.runner` is leanpipe's task object (its parameters, preprocessing and postprocessing)."""

    def __init__(self, task: Task, *, batch_size: int | None = None, task_name: str | None = None, **params: Any) -> None:
        self.runner, self.model, self.tokenizer = task, task.model, task.tokenizer
        self.task: str = task_name or task.name
        self.batch_size = batch_size
        self.params = self._check_params(params)

    def _check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        unknown = set(params) - set(self.runner.parameters)
        for name in sorted(unknown & set(self.runner.removed_parameters)):
            raise InputError(f"{name}: {self.runner.removed_parameters[name]}")
        if unknown:
            raise TypeError(
                f"{self.runner.name} does not take {sorted(unknown)}; its parameters are {sorted(self.runner.parameters)} "
                f"(and batch_size)"
            )
        self.runner.check_params(params)
        return params

    def __call__(self, inputs: Any = None, *args: Any, batch_size: int | None = None, num_workers: int | None = None,
                 **params: Any) -> Any:
        """One input -> its result; a list (or a generator, read whole) -> a list of results; a dataset
        (`len(d)` and `d[i]`, e.g. transformers' KeyDataset) -> an iterator over its items' results,
        computed lazily, as transformers returns for a torch Dataset. `num_workers` (transformers'
        DataLoader workers) is accepted and changes nothing: the tokenizer and the engine run on their
        own threads."""
        if args:  # e.g. zero-shot's pipe(text, candidate_labels)
            inputs = self.runner.gather_args(inputs, args, params)
        dataset = is_dataset(inputs)
        if dataset:  # read lazily, item by item; the tasks pass a generator through gather_inputs
            inputs, length = read_items(inputs), len(inputs)
        inputs = self.runner.gather_inputs(inputs, params)
        call_params = self._check_params(params)
        merged = {**self.runner.parameters, **self.params, **call_params}
        if dataset:
            batch_size = batch_size or self.batch_size
            return DatasetResults(self._results(inputs, merged, batch_size), length, batch_size)
        if isinstance(inputs, types.GeneratorType):  # transformers 5.2 reads a generator into a list
            inputs = list(inputs)
        items, single = self.runner.normalize(inputs)
        results = list(self._results(items, merged, batch_size or self.batch_size))
        return self.runner.finish(results, inputs, single, call_params)

    def stream(self, inputs: Iterable[Any], *, batch_size: int | None = None, num_workers: int | None = None,
               **params: Any) -> Iterator[Any]:
        """Results one by one in input order, reading `inputs` lazily (for files larger than memory)."""
        merged = {**self.runner.parameters, **self.params, **self._check_params(params)}
        return self._results(inputs, merged, batch_size or self.batch_size)

    def answers(self, inputs: Iterable[Any], **params: Any) -> Iterator[Any]:
        """For each input, what `pipe(input, **params)` returns, computed lazily in shared batches.

        `pipe.answers(["I love it", ["a", "b"]])` -> iter([pipe("I love it"), pipe(["a", "b"])]):
        the CLI's input lines and the server's concurrent requests share model batches this way.
        """
        pending: collections.deque[tuple[Any, int, bool]] = collections.deque()  # (input, items, single)

        def items() -> Iterator[Any]:
            for x in inputs:
                parts, single = self.runner.normalize(x)
                pending.append((x, len(parts), single))
                yield from parts

        done: collections.deque[Any] = collections.deque()
        for result in self.stream(items(), **params):
            done.append(result)
            while pending and len(done) >= pending[0][1]:
                yield self._finish_one(pending.popleft(), done, params)
        while pending:  # inputs with no items (an empty list) come last
            yield self._finish_one(pending.popleft(), done, params)

    def _finish_one(self, entry: tuple[Any, int, bool], done: collections.deque, params: dict[str, Any]) -> Any:
        x, n, single = entry
        return self.runner.finish([done.popleft() for _ in range(n)], x, single, params)

    def _results(self, inputs: Iterable[Any], params: dict[str, Any], batch_size: int | None) -> Iterator[Any]:
        iterator, first = iter(inputs), 0
        while chunk := list(itertools.islice(iterator, CHUNK)):
            yield from self._run_chunk(chunk, params, batch_size or batching.DEFAULT_BATCH_SIZE, first)
            first += len(chunk)

    def _run_chunk(self, chunk: list[Any], params: dict[str, Any], batch_size: int, first: int = 0) -> list[Any]:
        samples = self.runner.encode(chunk, params)
        if not getattr(self.model, "takes_empty_rows", False):  # a transformer needs a token per row
            refuse_empty_rows([min((len(enc) for enc in s.chunks), default=1) for s in samples], chunk, first)
        rows = [(sample, enc) for sample in samples for enc in sample.chunks]  # every model row, in order
        outputs: list[dict[str, np.ndarray] | None] = [None] * len(rows)
        alone = padding_changes_outputs(self.model) or self.runner.keeps_padding(params)
        batches = []
        for batch, padded in padded_batches(self.tokenizer, [enc for _, enc in rows], batch_size, equal_lengths=alone,
                                            alone_past=runs_alone_past(self.model)):
            try:
                batches.append((batch, self.model.check_inputs(**padded)))
            except InputError as exc:
                raise InputError(f"{exc} (pipeline: pass truncation=True to the pipeline call)") from None
        for batch, result in run_batches(self.model, batches):
            for r, i in enumerate(batch):
                n = len(rows[i][1])
                outputs[i] = self.runner.keep({k: v[r, :n] if k in self.runner.token_outputs else v[r]
                                               for k, v in result.items()})
        for (sample, _), out in zip(rows, outputs):
            sample.outputs.append(out)
        with gc_paused():
            return [self.runner.postprocess(sample, params) for sample in samples]

    @property
    def device(self) -> Any:
        """The CPU, as transformers' pipe.device: torch.device("cpu") when the caller uses torch, else "cpu"."""
        from .placement import cpu_device

        return cpu_device()

    def save_pretrained(self, save_directory: str | os.PathLike, **_options: Any) -> None:
        """As transformers' Pipeline.save_pretrained: the model (config.json, model.safetensors) and
        the tokenizer's files into one folder, and a sentence-transformers checkpoint's modules.json,
        pooling and length configs too, so `pipeline(task, model=save_directory)` gives the same answers.
        transformers' other options (safe_serialization, push_to_hub, ...) are ignored."""
        from .hub import hub_options
        from .pooling import copy_sentence_files, sentence_options
        from .static_embedding import StaticModel

        folder = Path(save_directory)
        self.model.save_pretrained(folder)  # refuses a file, and a model not loaded from a checkpoint
        if not isinstance(self.model, StaticModel):  # its tokenizer is the module's tokenizer.json, copied with it
            self.tokenizer.save_pretrained(folder)
        with hub_options(sentence_options(self.model)):  # the root's, above an older checkpoint's 0_Transformer/
            copy_sentence_files(self.model.name_or_path, folder, revision=self.model.revision)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r}, model={self.model.name_or_path!r})"


def is_dataset(inputs: Any) -> bool:
    """A torch-style map dataset: `len(d)` items read as `d[0]`, `d[1]`, ... (transformers' KeyDataset, a
    `datasets` column, a class of the caller's own), told by duck typing so torch need not be imported.
    Strings, lists, tuples, dicts (any mapping) and numpy arrays keep the meaning they have for a task."""
    kind = type(inputs)
    return (hasattr(kind, "__len__") and hasattr(kind, "__getitem__")
            and not isinstance(inputs, (str, bytes, list, tuple, collections.abc.Mapping, np.ndarray)))


def read_items(dataset: Any) -> Iterator[Any]:
    """dataset[0], dataset[1], ... dataset[len - 1], read as they are needed."""
    for i in range(len(dataset)):
        yield dataset[i]


class DatasetResults:
    """What `pipe(dataset)` returns, as transformers 5.2 returns its PipelineIterator: one result per
    item, in order, the same as that item's entry in `pipe(list(dataset))`, computed batch by batch as
    it is read. `len()` is transformers' too: the number of batches of `batch_size` (1 unless given),
    so `tqdm(pipe(dataset))` counts as it does with transformers."""

    def __init__(self, results: Iterator[Any], items: int, batch_size: int | None) -> None:
        self._results, self._batches = results, -(-items // (batch_size or 1))

    def __iter__(self) -> "DatasetResults":
        return self

    def __next__(self) -> Any:
        return next(self._results)

    def __len__(self) -> int:
        return self._batches


def padding_changes_outputs(model: Any) -> bool:
    """Whether padding a row changes the model's outputs at its real tokens: MobileBERT's trigram_input
    gives each token its neighbours' embeddings, so the last real token sees the pad token's
    (modeling_mobilebert; 5.7e-3 on a tiny model), and ConvBERT's span convolutions read the padding
    next to the last tokens (a family's PADDING_LEAKS). transformers' pipelines run each text alone by
    default; such a model's rows are batched only with rows of their own length. (SqueezeBERT's
    convolutions have kernel size 1: no neighbours.)"""
    return bool(getattr(model.config, "trigram_input", False)) or bool(getattr(getattr(model, "family", None), "PADDING_LEAKS", False))


def run_batches(model: Any, batches: list[tuple[list[int], dict[str, np.ndarray]]]) -> list[tuple[list[int], dict[str, np.ndarray]]]:
    """(indices, checked feeds) -> (indices, the model's outputs), in order: side by side on one core
    each where the model can (model.run_many, leanpipe.engine.lanes), else one after another."""
    feeds = [f for _, f in batches]
    many = getattr(model, "run_many", None)
    results = many(feeds) if many is not None else [model.run_feeds(f) for f in feeds]
    return [(indices, result) for (indices, _), result in zip(batches, results)]


def runs_alone_past(model: Any) -> int | None:
    """The length past which a text's outputs depend on how far its batch is padded, so such texts run
    alone (transformers' pipelines run each text alone by default): BigBird's block-sparse attention
    (a family's `runs_alone_past`), whose blocks are laid over the padded length. None: no such length."""
    rule = getattr(getattr(model, "family", None), "runs_alone_past", None)
    return rule(model.config) if rule else None


def padded_batches(tokenizer: Any, encodings: list[Any], batch_size: int, equal_lengths: bool = False,
                   alone_past: int | None = None) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
    """(indices, padded arrays) for length-sorted batches of `encodings` (batching.plan_batches),
    holding the inputs the tokenizer's model takes; `equal_lengths`: no row padded; `alone_past`: rows
    longer than that in batches of their own."""
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for batch in batching.plan_batches([len(enc) for enc in encodings], batch_size, equal_lengths=equal_lengths,
                                       alone_past=alone_past):
        padded = pad_encodings([encodings[i] for i in batch], pad_id)
        if "token_type_ids" not in tokenizer.model_input_names:  # transformers' tokenizer would not pass them:
            del padded["token_type_ids"]  # the model sees zeros, also for pairs (ALBERT types the 2nd text 1)
        yield batch, padded


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Postprocessing builds many small acyclic objects (feature-extraction: a list of floats per
    token); Python's cyclic collector would rescan them over and over and can free none of them.
    Paused, `tolist()` of 2,000 embeddings (48,901 tokens x 384) takes 0.63 s instead of 1.24 s."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def pipeline(
    task: str | None = None,
    model: Any = None,
    config: Any = None,
    tokenizer: Any = None,
    *,
    revision: str | None = None,
    batch_size: int | None = None,
    engine: str = "onnx",
    num_threads: int | None = None,
    quantize: str | None = None,
    device: Any = None,
    token: str | bool | None = None,
    model_kwargs: dict[str, Any] | None = None,
    use_fast: bool = True,
    device_map: Any = None,
    dtype: Any = "auto",
    trust_remote_code: bool | None = None,
    **params: Any,
) -> Pipeline:
    """Build a task pipeline as transformers' `pipeline()` does: the model from a folder, a repo id
    (default: transformers' default checkpoint for the task) or an already loaded model. `token` and
    `model_kwargs`' download arguments (cache_dir, local_files_only, force_download) apply to the
    model's and the tokenizer's files; its other keys go to the model's config, as in transformers.
    transformers' use_fast, dtype (torch_dtype), device_map and trust_remote_code are taken as far as
    they fit a CPU float32 engine that runs no checkpoint code (trust_remote_code=True is refused only
    for a checkpoint that ships code), refused with the fix otherwise. `config` (a folder, a repo id or a
    config object) is checked and, as in transformers 5.2, does not change the model (see _check_config)."""
    from .hub import hub_options, take_hub_options

    params.pop("torch_dtype", None)  # as dtype: leanpipe computes in float32 (fp16 / bf16 checkpoints are widened)
    params.pop("num_workers", None)  # DataLoader workers: the tokenizer and the engine have their own threads
    _check_framework(params.pop("framework", None))
    check_placement(device, device_map)
    model_kwargs = dict(model_kwargs or {})
    engine, num_threads, quantize = _engine_options(model_kwargs, engine=engine, num_threads=num_threads, quantize=quantize)
    options = {**take_hub_options(model_kwargs), **({"token": token} if token is not None else {})}
    trust = {} if trust_remote_code is None else {"trust_remote_code": trust_remote_code}
    with hub_options(options):
        task = task if task is not None else _task_of(model, revision)
        folders = _router_folders(task, model, revision, options)
        if folders is not None:  # inference-free SPLADE: the Router's default route, a masked LM in its folders
            from .sparse_router import route_pipeline

            return route_pipeline(model, dict(
                config=config, tokenizer=tokenizer, revision=revision, batch_size=batch_size, engine=engine,
                num_threads=num_threads, quantize=quantize, device=device, token=token, use_fast=use_fast,
                device_map=device_map, dtype=dtype, trust_remote_code=trust_remote_code, **params,
                model_kwargs={**model_kwargs, **{k: v for k, v in options.items() if k != "token"}}), folders)
        return _build(task, model, tokenizer, config=config, revision=revision, batch_size=batch_size, engine=engine,
                      num_threads=num_threads, quantize=quantize, options=options, model_kwargs=model_kwargs,
                      trust=trust, params=params)


def _check_framework(framework: Any) -> None:
    """transformers 4's `framework="pt"`, which transformers 5 ignores (it runs PyTorch only): accepted
    and ignored; "tf" / "flax" asked for a backend neither library has any more."""
    if framework not in (None, "pt"):
        raise InputError(f"framework={framework!r}: transformers 5 and leanpipe run no TensorFlow or Flax models; "
                         f"leave framework out (\"pt\" is accepted and ignored)")


def _engine_options(model_kwargs: dict[str, Any], **given: Any) -> tuple[Any, ...]:
    """(engine, num_threads, quantize): pipeline()'s own arguments, or the same keys in model_kwargs
    (from_pretrained's, where transformers users put loading options), taken out of it. Both, different:
    InputError."""
    defaults = {"engine": "onnx", "num_threads": None, "quantize": None}
    for key, default in defaults.items():
        if key in model_kwargs:
            value = model_kwargs.pop(key)
            if given[key] != default and given[key] != value:
                raise InputError(f"{key}={given[key]!r} and model_kwargs={{{key!r}: {value!r}}} disagree; give it once")
            given[key] = value
    return given["engine"], given["num_threads"], given["quantize"]


def _build(task: str, model: Any, tokenizer: Any, *, config: Any, revision: str | None, batch_size: int | None, engine: str,
           num_threads: int | None, quantize: str | None, options: dict[str, Any],
           model_kwargs: dict[str, Any], trust: dict[str, Any], params: dict[str, Any]) -> Pipeline:
    from .models import PreTrainedModel, load_model
    from .static_embedding import StaticModel, load_static_model
    from .tokenization import AutoTokenizer

    cls = task_class(task)
    _check_config(config, revision)
    if model is None:  # as transformers: its default checkpoint, at the revision it pins unless one is given
        model, pinned = cls.default_model
        revision = revision if revision is not None else pinned
        logger.warning(f"No model was supplied, defaulted to {model} and revision {revision}.\n"
                       "Using a pipeline without specifying a model name and revision in production is not recommended.")
    model_options = options  # where the model's (and its own tokenizer's) files are
    if isinstance(model, (str, os.PathLike)):
        if getattr(cls, "module_subfolder", False) and not options.get("subfolder"):
            model_options = {**options, **_module_subfolder(model, revision)}
        try:
            loaded = load_model(model, cls.head, revision=revision, engine=engine, num_threads=num_threads,
                                quantize=quantize, **model_options, **trust, **model_kwargs)
        except (CheckpointError, ConfigError):
            loaded = load_static_model(model, revision=revision, hub_options=options)
            if loaded is None:  # not a StaticEmbedding checkpoint either: the loading error stands
                _refuse_router(model, revision)
                raise
    elif isinstance(model, (PreTrainedModel, StaticModel)):
        loaded = model
    else:
        raise InputError(f"model must be a path, a repo id or a leanpipe model, got {type(model).__name__}")
    if isinstance(loaded, StaticModel):
        _check_static(loaded, cls.name, quantize)
    if loaded.head != cls.head:
        raise InputError(f"task {task!r} needs a {cls.head} model; {type(loaded).__name__} is a {loaded.head} model")
    if tokenizer is None:
        tokenizer = loaded.tokenizer() if isinstance(loaded, StaticModel) else loaded.name_or_path
    if isinstance(tokenizer, (str, os.PathLike)):
        own = str(tokenizer) == str(model)  # the checkpoint's own tokenizer: from where its model was read
        tokenizer = AutoTokenizer.from_pretrained(tokenizer, revision=revision if tokenizer == model else None,
                                                  **(model_options if own else options), **trust)
    check_vocabulary(tokenizer, loaded)
    return (cls.pipeline_class or Pipeline)(cls(loaded, tokenizer), batch_size=batch_size, task_name=task, **params)


def _module_subfolder(model: str | os.PathLike, revision: str | None) -> dict[str, str]:
    """{"subfolder": "0_Transformer"} for a sentence-transformers checkpoint whose modules.json puts its
    Transformer (or MLMTransformer) module in a folder of its own, as older versions saved them; {} for one
    at the root. A checkpoint whose modules.json cannot be read loads from its root, and its own loading
    error says what is missing."""
    from .pooling import transformer_folder

    try:
        folder = transformer_folder(model, revision=revision)
    except CheckpointError:
        if Path(model).is_dir():  # a modules.json leanpipe cannot read: say so
            raise
        return {}
    return {"subfolder": folder} if folder else {}


def _check_config(config: Any, revision: str | None) -> None:
    """pipeline(config=...) as transformers 5.2 takes it: a folder or repo id whose config.json must be
    readable, or a config object (leanpipe's or transformers'). transformers reads it to pick the model
    classes it tries, then builds the model from the checkpoint's own config.json (and model_kwargs);
    so does leanpipe, which picks the class from that config.json: the answers are the same."""
    if config is None:
        return
    if isinstance(config, (str, os.PathLike)):
        from .config import read_config_dict

        read_config_dict(config, revision=revision)
    elif not callable(getattr(config, "to_dict", None)):
        raise InputError(f"config must be a folder, a repo id or a config object (e.g. AutoConfig.from_pretrained(...)), "
                         f"got {type(config).__name__}")


def _router_folders(task: str, model: Any, revision: str | None, options: dict[str, Any]) -> tuple[str, ...] | None:
    """For pipeline("sparse-embeddings") over an inference-free SPLADE checkpoint (a sentence-transformers
    Router, its modules in subfolders): the folders of its default route (sparse_router); else None."""
    if task != "sparse-embeddings" or not isinstance(model, (str, os.PathLike)) or options.get("subfolder"):
        return None
    from .sparse_router import default_splade_folders

    return default_splade_folders(model, revision)


def _refuse_router(model: str | os.PathLike, revision: str | None) -> None:
    """An inference-free SPLADE checkpoint (a sentence-transformers Router, its models in subfolders) has
    no model at its root for other tasks: say what runs it."""
    from .sparse_router import is_router

    try:
        routed = is_router(model, revision)
    except CheckpointError:
        return
    if routed:
        raise InputError(f"{model} is a sentence-transformers SparseEncoder with a Router (query and document routes "
                         f"in subfolders): pipeline('sparse-embeddings', model=...) runs its default route, "
                         f"leanpipe.SparseEncoder({str(model)!r}) every route") from None


def _check_static(model: Any, task: str, quantize: str | None) -> None:
    """A sentence-transformers StaticEmbedding checkpoint (a table of token vectors, no transformer) runs
    the sentence tasks only, in float32."""
    if task not in model.TASKS:
        raise InputError(f"{model.name_or_path} is a sentence-transformers StaticEmbedding model (a table of token "
                         f"vectors, no transformer): it runs {list(model.TASKS)} (and leanpipe.SentenceTransformer), "
                         f"not {task}")
    if quantize:
        raise InputError(f"quantize={quantize!r}: {model.name_or_path} is a StaticEmbedding model (a table of token "
                         f"vectors, no matrices to multiply); leave quantize unset")


def _task_of(model: Any, revision: str | None) -> str:
    """pipeline(model=...) without a task: the checkpoint's own, from config.json's architectures
    (transformers asks the Hub for it, which fails offline; a loaded model's head says it too)."""
    from .models import PreTrainedModel
    from .tasks.from_config import HEAD_TASKS, checkpoint_task

    if isinstance(model, PreTrainedModel):
        if model.head not in HEAD_TASKS:  # multiple choice: transformers has no pipeline for it either
            raise InputError(f"{type(model).__name__} has no pipeline task (transformers has none for {model.head}); "
                             f"call the model: model(**inputs).logits")
        return HEAD_TASKS[model.head]
    if not isinstance(model, (str, os.PathLike)):
        raise InputError("pipeline() needs a task, or a model (a path or a repo id) whose task config.json names; "
                         "e.g. pipeline('text-classification', model=...)")
    return checkpoint_task(model, revision, fix="name it: pipeline('feature-extraction', model=...) (tasks: leanpipe.tasks.REGISTRY)")


def check_vocabulary(tokenizer: Any, model: Any) -> None:
    """A tokenizer that can emit ids past the model's embedding table belongs to another checkpoint."""
    if len(tokenizer) > model.config.vocab_size:
        raise CheckpointError(
            f"the tokenizer has {len(tokenizer)} tokens but the model {model.name_or_path!r} embeds only "
            f"{model.config.vocab_size}; use the tokenizer saved with this model"
        )
