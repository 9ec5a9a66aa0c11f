"""Trace a model definition once into an ONNX graph and run it with onnxruntime."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading

import numpy as np

from ..errors import InputError
from ..weights.safetensors import drop_resident_pages
from .lanes import Lanes, joined_rows, lanes_enabled, padded_tokens, row_pieces, worth_lanes
from .onnx_ops import OnnxOps

QUANTIZATIONS = (None, "int8")
# How long an intra-op worker spins for more work before it sleeps. onnxruntime's default spins long
# enough that one idle session keeps a core busy through another session's next call: an embedder and
# a classifier in one process, called in turn one text at a time, ran 10.9 and 30-32 ms a call against
# 5.0 and 13.7 ms alone; with 100 us, 4.4-4.8 and 12.1-13.0 ms. One model alone: the same either way
# (all-MiniLM-L6-v2 batch-1 3.7-4.2 vs 3.9-4.0 ms, its 2,000-sentence pass 5.6-6.1 vs 5.6-5.8 s; three
# alternating processes each)
SPIN_MICROSECONDS = 100
# onnxruntime fuses Add + LayerNormalization into SkipLayerNormalization, whose CPU kernel is 4x slower here
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]


class OnnxEngine:
    """`quantize="int8"`: onnxruntime's dynamic int8 kernels (DynamicQuantizeMatMul, QAttention, and
    MatMulInteger with a scale per token for FFN down-projections), the weights quantized per channel
    by OnnxOps as the graph is written (activations per batch at run time). Faster, slightly less exact."""

    def __init__(self, forward, input_names: tuple[str, ...], *, num_threads: int, quantize: str | None = None,
                 records: frozenset[str] = frozenset()) -> None:
        import onnxruntime as ort

        if quantize not in QUANTIZATIONS:
            raise InputError(f"quantize={quantize!r} is not one of {list(QUANTIZATIONS)}")
        graph = _traced(forward, quantize, records)
        # what onnxruntime was handed ("copied", "in_place" arrays, their OrtValues); kept for the session's life
        self._weights: dict[str, dict] = {}
        self.session = _open_session(ort, graph, num_threads, self._weights)
        used = {i.name for i in self.session.get_inputs()}
        self.input_names = tuple(n for n in input_names if n in used)
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.records = records
        self._head_outputs = [n for n in self.output_names if not n.startswith(("hidden_states.", "attentions.", "extras."))]
        self.num_threads = num_threads
        # the lanes' session is made at the first call that needs it: from the same graph (fp32: 95 kB for
        # all-MiniLM-L6-v2, the weights by reference), or traced again (int8: its graph holds the weights,
        # 59 MB for all-MiniLM-L6-v2), then used only if it is this very graph (a config edited since
        # would trace another one: the calls then run one batch at a time, as without lanes)
        if quantize:
            digest = hashlib.sha256(graph[0]).digest()
            self._lane_graph = lambda: _if_same(_traced(forward, quantize, records), digest)
        else:
            self._lane_graph = lambda: graph
        self._lanes: Lanes | None | bool = None  # False: the lane graph differed, no lanes
        self._lanes_lock = threading.Lock()
        self._cut_rows = True  # False once an output came without a row per input row

    def run(self, feeds: dict[str, np.ndarray], *, extras: bool = False) -> dict[str, np.ndarray]:
        """The outputs by name; with `extras`, the recorded hidden_states.* / attentions.* / extras.* too.
        A large batch runs as pieces of rows side by side, one core each (leanpipe.engine.lanes.row_pieces)."""
        feeds = {n: feeds[n] for n in self.input_names}
        if not extras and self._cut_rows:
            joined = self._run_in_pieces(feeds)
            if joined is not None:
                return joined
        names = self.output_names if extras else self._head_outputs
        return dict(zip(names, self.session.run(names, feeds)))

    def _run_in_pieces(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
        """The head's outputs of a batch large enough to cut into row pieces, run on the lanes; None to
        run it whole (too small, lanes off or unavailable, inputs or outputs without a row axis)."""
        rows = {a.shape[0] for a in feeds.values() if a.ndim}
        if len(rows) != 1:
            return None
        pieces = row_pieces(rows.pop(), padded_tokens(feeds), self.num_threads)
        lanes = self._lanes_for_run() if pieces and lanes_enabled() else None
        if lanes is None:
            return None
        joined = joined_rows(lanes.run_all([{n: a[p] for n, a in feeds.items()} for p in pieces],
                                           [p.stop - p.start for p in pieces]), pieces)
        if joined is None:
            self._cut_rows = False
            logging.getLogger(__name__).debug("an output has no row axis: batches of this model run whole")
        return joined

    def run_many(self, feeds: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        """`[run(f) for f in feeds]`, sooner: with several threads and enough batches, on lanes (one
        core per batch, leanpipe.engine.lanes); otherwise one batch at a time (`run`)."""
        costs = [padded_tokens(f) for f in feeds]
        lanes = self._lanes_for_run() if worth_lanes(costs, self.num_threads) and lanes_enabled() else None
        return lanes.run_all(feeds, costs) if lanes else [self.run(f) for f in feeds]

    def _lanes_for_run(self) -> Lanes | None:
        with self._lanes_lock:
            if self._lanes is None:
                self._lanes = self._new_lanes() or False
            return self._lanes or None

    def _new_lanes(self) -> Lanes | None:
        import onnxruntime as ort

        graph = self._lane_graph()
        if graph is None:
            return None
        keep: dict[str, dict] = {}
        session = _open_session(ort, graph, 1, keep)
        names, inputs = self._head_outputs, self.input_names

        def run(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return dict(zip(names, session.run(names, {n: feeds[n] for n in inputs})))

        run.weights = keep  # the OrtValues the session was handed live as long as it does
        run.session = session
        return Lanes(run, self.num_threads)


def _traced(forward, quantize: str | None, records: frozenset[str]) -> tuple[bytes, dict, dict, str | None]:
    """The model definition traced into ONNX: (graph bytes, arrays onnxruntime copies, arrays of the
    memory-mapped checkpoint it uses in place, their folder); int8: the products as onnxruntime's int8 kernels (OnnxOps)."""
    ops = OnnxOps(for_quantization=quantize is not None, records_hidden="hidden_states" in records,
                  records_attentions="attentions" in records)
    forward(ops)
    model_bytes, external, shared, folder = ops.model(), ops.external, ops.shared, ops.folder
    del ops  # its serialized nodes and initializers are in model_bytes now
    return model_bytes, external, shared, folder


def _if_same(graph: tuple[bytes, dict, dict, str | None], digest: bytes) -> tuple[bytes, dict, dict, str | None] | None:
    """`graph` if its bytes hash to `digest`, else None."""
    return graph if hashlib.sha256(graph[0]).digest() == digest else None


def _open_session(ort, graph: tuple[bytes, dict, dict, str | None], num_threads: int, keep: dict):
    """An onnxruntime session of `graph` on `num_threads` intra-op threads, the checkpoint's pages
    dropped while it packs the weights and after."""
    model_bytes, external, shared, folder = graph
    mapped = [*shared.values(), *external.values()]
    with _pages_dropped_while_loading(mapped):
        try:
            session = _session(ort, model_bytes, num_threads, external, shared, folder, keep, in_place=True)
        except ort.capi.onnxruntime_pybind11_state.Fail:
            if not shared:
                raise
            # an onnxruntime that cannot find the checkpoint file the graph names: hand it every array to copy
            session = _session(ort, model_bytes, num_threads, external, shared, folder, keep, in_place=False)
    # onnxruntime holds packed copies of the matrices now, and reads the rest (embedding rows) on
    # demand: the checkpoint's pages need not stay resident
    drop_resident_pages(mapped)
    return session


def _session(ort, model_bytes: bytes, num_threads: int, external: dict, shared: dict, folder: str | None, keep: dict,
             *, in_place: bool):
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.spin_duration_us", str(SPIN_MICROSECONDS))
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if in_place:
        _feed_weights(ort, options, external, shared, folder, keep)
    else:
        _feed_weights(ort, options, {**external, **shared}, {}, None, keep)
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=DISABLED_OPTIMIZERS)


@contextlib.contextmanager
def _pages_dropped_while_loading(arrays: list, every: float = 0.02):
    """While onnxruntime packs the weights (reading each matrix once), let the kernel drop the
    checkpoint pages it has read, every 20 ms, instead of holding the whole file resident until the
    end: clean pages of a read-only file map, re-read from the page cache if touched again.
    Peak RSS at load: all-MiniLM-L6-v2 140 -> 121 MB, a DistilBERT-base-sized model 379 -> 257 MB."""
    if not arrays:  # int8: the weights are inside the graph
        yield
        return
    done = threading.Event()

    def drop() -> None:
        while not done.wait(every):
            drop_resident_pages(arrays)

    worker = threading.Thread(target=drop, name="leanpipe-drop-pages", daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()


def _feed_weights(ort, options, external: dict, shared: dict, folder: str | None, keep: dict) -> None:
    """Hand onnxruntime the weight arrays the graph names. Computed arrays (fused QKV biases,
    converted dtypes) it copies (add_external_initializers); tensors exactly as stored in a memory-mapped
    checkpoint it uses in place (add_initializer; the graph also names their file and offset, under
    `folder`), so an embedding table or a layer norm never gets a second copy in memory."""
    values = {n: ort.OrtValue.ortvalue_from_numpy(a) for n, a in {**external, **shared}.items()}
    keep.update(copied=external, in_place=shared, values=values)
    if external:
        options.add_external_initializers(list(external), [values[n] for n in external])
    if shared:
        options.add_session_config_entry("session.model_external_initializers_file_folder_path", folder)
        for name in shared:
            options.add_initializer(name, values[name])
