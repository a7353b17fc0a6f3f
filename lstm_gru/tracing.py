"""A character model's gates on a text: ``cells.trace_gates`` run on the model's own inputs."""

import torch

from lstm_gru.cells import GateTrace, trace_gates
from lstm_gru.device import cpu_threads, model_device


def check_char_model(model) -> None:
    """``model`` must have ``.rnn`` and ``.inputs(tokens)``, like ``lstm_gru.models.CharRNN``."""
    if not hasattr(model, "rnn") or not callable(getattr(model, "inputs", None)):
        raise TypeError(
            f"model must have .rnn (nn.LSTM/nn.GRU/nn.RNN) and .inputs(tokens), like "
            f"lstm_gru.models.CharRNN; got {type(model).__name__}"
        )


def encode_text(vocab, text: str) -> list[int]:
    """Token ids of the characters of ``text``; unknown characters give ``<unk>``."""
    if hasattr(vocab, "encode"):
        ids = vocab.encode(text)
        return ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
    return list(vocab[list(text)])


def trace_text(model, vocab, text: str, layer: int = 0) -> GateTrace:
    """The gates of layer ``layer`` of ``model.rnn`` on the characters of ``text`` (batch of
    one): a GateTrace with gates (num_steps=len(text), 1, num_hiddens), tokens = the characters.

    Runs on one CPU thread: a batch of one is a string of tiny matrix products (measured: 100
    LSTM steps took 1.7 s with 2 threads on a loaded 2-core machine, 8-16 ms with 1).
    """
    check_char_model(model)
    if not isinstance(text, str) or not text:
        raise ValueError(f"text must be a non-empty str, got {text!r}")
    device = model_device(model)
    with torch.no_grad(), cpu_threads(1, device):
        tokens = torch.tensor([encode_text(vocab, text)], dtype=torch.long, device=device)  # (1, T)
        X = model.inputs(tokens)  # (num_steps, 1, num_inputs)
        return trace_gates(model.rnn, X, tokens=list(text), layer=layer)


__all__ = ["check_char_model", "encode_text", "trace_text"]
