"""Recurrent models the chapters train: a character language model and a sequence model.

Both wrap PyTorch's fused ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (time-major, cuDNN on a GPU)
in ``.rnn``, so ``lstm_gru.cells`` can copy their weights into the readable scratch cells.
"""

import torch
import torch.nn.functional as F
from torch import nn

from lstm_gru.cells import RNN_CLASSES
from lstm_gru.checks import check_positive_int, check_tensor


def make_rnn(
    cell: str,
    num_inputs: int,
    num_hiddens: int,
    num_layers: int = 1,
    forget_bias: float | None = None,
    chrono_init: int | None = None,
    dropout: float = 0.0,
    bidirectional: bool = False,
) -> nn.RNNBase:
    """Build a time-major ``nn.RNN`` (tanh), ``nn.LSTM`` or ``nn.GRU`` named by ``cell``.

    ``dropout``: between stacked layers (``num_layers > 1``), as in ``nn.LSTM(dropout=...)``.
    ``bidirectional``: a second direction reads the sequence backwards; the outputs are
    (num_steps, batch_size, 2 * num_hiddens), both directions concatenated.

    Two optional gate initialisations (None keeps PyTorch's default uniform one):

    - ``forget_bias`` (LSTM only): every layer's forget-gate bias starts at this value (1.0 is
      Jozefowicz et al. 2015's advice), so the cell keeps more of its memory early in
      training. ``nn.LSTM`` adds two biases, ``b_ih + b_hh``; the forget slice of ``b_ih`` is
      set to ``forget_bias`` and that of ``b_hh`` to 0, so their sum is the requested value.
    - ``chrono_init`` (LSTM and GRU): Tallec & Ollivier 2018's chrono initialisation for
      dependencies up to ``chrono_init`` steps long. Each unit's "keep" bias is
      ``log(u)``, u uniform in [1, chrono_init - 1] (from torch's global generator), so units
      start with memory time scales spread up to ``chrono_init`` steps: the LSTM forget-gate
      bias is ``log(u)`` and its input-gate bias ``-log(u)``; the GRU update-gate bias is
      ``log(u)`` (in PyTorch's GRU, h = (1 - z) * n + z * h_prev, so z near 1 keeps).
      A vanilla RNN has no gate, so it cannot be initialised this way.
    """
    if cell not in RNN_CLASSES:
        raise ValueError(f"cell must be one of {sorted(RNN_CLASSES)}, got {cell!r}")
    check_positive_int(num_inputs, "num_inputs")
    check_positive_int(num_hiddens, "num_hiddens")
    check_positive_int(num_layers, "num_layers")
    if forget_bias is not None and cell != "lstm":
        raise ValueError(f"forget_bias applies to cell='lstm' only, got cell={cell!r}")
    if chrono_init is not None:
        if cell == "rnn":
            raise ValueError(
                "chrono_init applies to cell='lstm' or 'gru' (a gated cell), got 'rnn'"
            )
        if forget_bias is not None:
            raise ValueError("give forget_bias or chrono_init, not both")
        check_positive_int(chrono_init, "chrono_init", minimum=3)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if not isinstance(bidirectional, bool):
        raise TypeError(f"bidirectional must be a bool, got {type(bidirectional).__name__}")
    rnn = RNN_CLASSES[cell](
        num_inputs,
        num_hiddens,
        num_layers,
        dropout=dropout if num_layers > 1 else 0.0,
        bidirectional=bidirectional,
    )
    first, second = slice(0, num_hiddens), slice(num_hiddens, 2 * num_hiddens)  # gate slices
    directions = ["", "_reverse"] if bidirectional else [""]
    with torch.no_grad():
        for k, direction in [(k, d) for k in range(num_layers) for d in directions]:
            b_ih = getattr(rnn, f"bias_ih_l{k}{direction}")
            b_hh = getattr(rnn, f"bias_hh_l{k}{direction}")
            if forget_bias is not None:  # nn.LSTM's gates: input, forget, cell, output
                b_ih[second], b_hh[second] = float(forget_bias), 0.0
            if chrono_init is not None:  # second gate: LSTM forget, GRU update (r, z, n)
                keep = torch.empty(num_hiddens).uniform_(1, chrono_init - 1).log()
                b_ih[second], b_hh[second] = keep, 0.0
                if cell == "lstm":
                    b_ih[first], b_hh[first] = -keep, 0.0  # the LSTM's input gate
    return rnn


class CharRNN(nn.Module):
    """Character language model: one-hot (or embedded) tokens -> RNN -> linear head.

    ``cell`` is "lstm", "gru" or "rnn"; ``embed_dim=None`` feeds one-hot vectors (as the
    d2l book does), an int learns an ``nn.Embedding`` of that size instead.
    Attributes: ``.rnn`` (time-major ``nn.LSTM``/``nn.GRU``/``nn.RNN``), ``.head`` (Linear),
    ``.embedding`` (``nn.Embedding`` or None). ``bidirectional=True`` adds a backward
    direction whose state at step t has read the characters after t, the one to predict
    among them: chapter 06 shows why such a model cannot be a language model.
    """

    def __init__(
        self,
        vocab_size: int,
        num_hiddens: int,
        cell: str = "lstm",
        num_layers: int = 1,
        embed_dim: int | None = None,
        forget_bias: float | None = None,
        chrono_init: int | None = None,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.cell = cell
        if embed_dim is None:
            self.embedding = None
            num_inputs = vocab_size
        else:
            num_inputs = check_positive_int(embed_dim, "embed_dim")
            self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = make_rnn(
            cell,
            num_inputs,
            num_hiddens,
            num_layers,
            forget_bias,
            chrono_init,
            dropout,
            bidirectional,
        )
        self.dropout = nn.Dropout(dropout)  # on the last layer's outputs, before the head
        self.head = nn.Linear(num_hiddens * (2 if bidirectional else 1), vocab_size)

    def inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (batch_size, num_steps) -> RNN inputs X (num_steps, batch_size, num_inputs).

        The ids' range is checked on the CPU only: on a GPU reading them would stall training.
        """
        check_tensor(tokens, "tokens", ndim=2, floating=False)
        on_cpu = tokens.device.type == "cpu"
        if on_cpu and tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.vocab_size):
            raise ValueError(
                f"tokens must be ids in [0, {self.vocab_size}), got values in "
                f"[{int(tokens.min())}, {int(tokens.max())}]"
            )
        time_major = tokens.T  # (num_steps, batch_size)
        if self.embedding is not None:
            return self.embedding(time_major)  # (num_steps, batch_size, embed_dim)
        return F.one_hot(time_major, self.vocab_size).to(self.head.weight.dtype)

    def forward(self, tokens: torch.Tensor, state=None):
        """tokens (batch_size, num_steps) long -> (logits (batch_size, num_steps, vocab_size), state).

        ``state`` is the RNN's: a (num_layers * directions, batch_size, num_hiddens) tensor, or the tuple
        ``(h, c)`` for an LSTM; None starts from zeros.
        """
        outputs, state = self.rnn(self.inputs(tokens), state)  # (num_steps, batch, num_hiddens)
        logits = self.head(self.dropout(outputs))  # (num_steps, batch_size, vocab_size)
        return logits.transpose(0, 1), state  # (batch_size, num_steps, vocab_size)

    @torch.no_grad()
    def generate(
        self,
        prefix: str,
        num_chars: int,
        vocab,
        *,
        temperature: float = 0.0,
        seed: int | None = 0,
    ) -> str:
        """Continue ``prefix`` by ``num_chars`` characters; return prefix + continuation.

        ``temperature=0`` picks the most likely character (greedy); ``> 0`` samples from
        ``softmax(logits / temperature)`` with a ``torch.Generator`` seeded by ``seed``
        (None: PyTorch's global generator). Characters not in ``vocab`` read as ``<unk>``.
        """
        if not isinstance(prefix, str) or not prefix:
            raise ValueError(f"prefix must be a non-empty str, got {prefix!r}")
        check_positive_int(num_chars, "num_chars", minimum=0)
        if len(vocab) != self.vocab_size:
            raise ValueError(
                f"vocab must have vocab_size={self.vocab_size} tokens, got len(vocab)={len(vocab)}"
            )
        if not isinstance(temperature, (int, float)) or temperature < 0:
            raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
        generator = None
        if temperature > 0 and seed is not None:
            generator = torch.Generator().manual_seed(seed)
        device = self.head.weight.device
        was_training = self.training
        self.eval()
        ids = [vocab[ch] for ch in prefix]
        logits, state = self(torch.tensor([ids], device=device))  # warm up on the prefix
        for _ in range(num_chars):
            last = logits[0, -1].float().cpu()  # (vocab_size,)
            if temperature == 0:
                next_id = int(last.argmax())
            else:
                probs = torch.softmax(last / temperature, dim=0)
                next_id = int(torch.multinomial(probs, 1, generator=generator))
            ids.append(next_id)
            logits, state = self(torch.tensor([[next_id]], device=device), state)
        self.train(was_training)
        generated = "".join(vocab.idx_to_token[i] for i in ids[len(prefix) :])
        return prefix + generated


class SequenceModel(nn.Module):
    """RNN + linear head for the synthetic tasks in ``lstm_gru.tasks``.

    ``forward(X)`` with X (num_steps, batch_size, num_inputs) float returns the head applied
    to the last step, (batch_size, num_outputs) (classification logits or regression), or,
    with ``per_step=True``, to every step, (num_steps, batch_size, num_outputs) (copy task).
    Attributes: ``.rnn`` (time-major ``nn.LSTM``/``nn.GRU``/``nn.RNN``), ``.head`` (Linear).
    ``forget_bias``, ``chrono_init``: gate initialisations, see ``make_rnn``.
    """

    def __init__(
        self,
        num_inputs: int,
        num_hiddens: int,
        num_outputs: int,
        cell: str = "lstm",
        per_step: bool = False,
        num_layers: int = 1,
        forget_bias: float | None = None,
        chrono_init: int | None = None,
    ):
        super().__init__()
        self.num_inputs = num_inputs
        self.cell = cell
        self.per_step = per_step
        self.rnn = make_rnn(cell, num_inputs, num_hiddens, num_layers, forget_bias, chrono_init)
        self.head = nn.Linear(num_hiddens, check_positive_int(num_outputs, "num_outputs"))

    def forward(self, X: torch.Tensor, state=None) -> torch.Tensor:
        """X (num_steps, batch_size, num_inputs) -> (batch_size, num_outputs), or
        (num_steps, batch_size, num_outputs) when ``per_step``."""
        check_tensor(X, "X", ndim=3, floating=True, sizes={2: self.num_inputs}, nonempty_dim=0)
        outputs, _ = self.rnn(X, state)  # (num_steps, batch_size, num_hiddens)
        if self.per_step:
            return self.head(outputs)  # (num_steps, batch_size, num_outputs)
        return self.head(outputs[-1])  # (batch_size, num_outputs)
