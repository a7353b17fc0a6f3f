"""GRU vs LSTM by the numbers: parameters, multiply-adds per step, and measured time.

The course notes say a GRU has "about 1/3 fewer" parameters and "lower compute". Counted exactly,
with PyTorch's two bias vectors per gate, an LSTM layer has 4 (I H + H^2 + 2H) parameters and a GRU
3 (I H + H^2 + 2H): the GRU has exactly 3/4 of them (25 % fewer; the LSTM has 1/3 more). The matrix
multiply-adds per step are in the same 3 : 4 ratio, but the measured time ratio is whatever the
kernels make of it, so it is measured here, side by side, rather than assumed. On the course's
shared 2-core CPU (``python -m lstm_gru.bench compare --threads 1 --repeats 21``) a training step
of nn.GRU took 1.2-1.7x as long as nn.LSTM's, not 0.75x (the scratch cells: 1.1-1.8x): on this
CPU the time does not follow the MAC count.
"""

import torch
from torch import nn

from lstm_gru.cells import GRUScratch, LSTMScratch
from lstm_gru.checks import check_positive_int, check_tensor
from lstm_gru.timing import median_times

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters (elements of every parameter with requires_grad)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def macs_per_step(kind: str, num_inputs: int, num_hiddens: int) -> dict[str, int]:
    """Work of one time step for one sequence, counted from the equations PyTorch computes.

    Returns ``{"macs": matrix multiply-adds, "elementwise": adds and multiplies outside the
    matrix products, "activations": sigmoid/tanh evaluations}``. MACs are G (I H + H^2) with
    G = 4 (LSTM), 3 (GRU), 1 (RNN). Elementwise: the two bias vectors and the sum of the two
    products (3 G H), plus c = f*c + i*g and h = o*tanh(c) for the LSTM (4H), r*(W_hn h + b_hn)
    and h = (1 - z)*n + z*h for the GRU (5H).
    """
    if kind not in GATES:
        raise ValueError(f"kind must be one of {sorted(GATES)}, got {kind!r}")
    I = check_positive_int(num_inputs, "num_inputs")  # noqa: E741
    H = check_positive_int(num_hiddens, "num_hiddens")
    G = GATES[kind]
    extra = {"lstm": 4 * H, "gru": 5 * H, "rnn": 0}[kind]
    activations = {"lstm": 5 * H, "gru": 3 * H, "rnn": H}[kind]  # LSTM: 3 sigmoid, 2 tanh
    return {
        "macs": G * (I * H + H * H),
        "elementwise": 3 * G * H + extra,
        "activations": activations,
    }


def _training_step(module: nn.Module, X: torch.Tensor):
    """A closure running forward and backward of ``module`` on X (loss = sum of the outputs)."""

    def step():
        module.zero_grad(set_to_none=True)
        outputs = module(X)
        outputs = outputs[0] if isinstance(outputs, tuple) else outputs
        outputs.sum().backward()

    return step


def time_training_steps(
    modules: dict[str, nn.Module], X: torch.Tensor, *, repeats: int = 5, warmup: int = 1
) -> dict[str, float]:
    """Median seconds of one forward + backward pass of each module on X, interleaved.

    X: (num_steps, batch_size, num_inputs) on the modules' device. Returns ``{name: seconds}``.
    """
    check_tensor(X, "X", ndim=3, floating=True, nonempty_dim=0)
    fns = {name: _training_step(module, X) for name, module in modules.items()}
    return median_times(fns, device=X.device, repeats=repeats, warmup=warmup)


def time_training_step(
    module: nn.Module, X: torch.Tensor, *, repeats: int = 5, warmup: int = 1
) -> float:
    """Median seconds of one forward + backward pass of ``module`` on X (num_steps, batch, I)."""
    return time_training_steps({"module": module}, X, repeats=repeats, warmup=warmup)["module"]


def compare_gru_lstm(
    num_inputs: int,
    num_hiddens: int,
    num_steps: int,
    *,
    batch_size: int = 32,
    device=None,
    scratch: bool = True,
    repeats: int = 5,
    warmup: int = 1,
    seed: int = 0,
) -> list[dict]:
    """Parameters, work per step and training-step time of LSTM vs GRU at one size.

    One record (dict) per model: nn.LSTM, nn.GRU and, with ``scratch``, LSTMScratch and
    GRUScratch, all timed side by side on one seeded batch X (num_steps, batch_size, num_inputs).
    Each GRU record also holds the GRU/LSTM ratios of parameters, MACs and measured time.
    """
    device = torch.device(device) if device is not None else torch.device("cpu")
    for name, value in [("num_steps", num_steps), ("batch_size", batch_size)]:
        check_positive_int(value, name)
    with torch.random.fork_rng(devices=[]):  # seeded weights; the caller's RNG is left alone
        torch.manual_seed(seed)
        models = {
            "nn.LSTM": nn.LSTM(num_inputs, num_hiddens),
            "nn.GRU": nn.GRU(num_inputs, num_hiddens),
        }
        if scratch:
            models["LSTMScratch"] = LSTMScratch(num_inputs, num_hiddens)
            models["GRUScratch"] = GRUScratch(num_inputs, num_hiddens)
    models = {name: m.to(device) for name, m in models.items()}
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(num_steps, batch_size, num_inputs, generator=gen).to(device)
    seconds = time_training_steps(models, X, repeats=repeats, warmup=warmup)
    records = {}
    for name, module in models.items():
        kind = "lstm" if "LSTM" in name else "gru"
        work = macs_per_step(kind, num_inputs, num_hiddens)
        records[name] = {
            "model": name,
            "num_inputs": num_inputs,
            "num_hiddens": num_hiddens,
            "num_steps": num_steps,
            "batch_size": batch_size,
            "parameters": count_parameters(module),
            "macs_per_step": work["macs"],
            "elementwise_per_step": work["elementwise"],
            "activations_per_step": work["activations"],
            "step_s": seconds[name],
        }
    for gru, lstm in [("nn.GRU", "nn.LSTM"), ("GRUScratch", "LSTMScratch")]:
        if gru in records:
            g, s = records[gru], records[lstm]
            g["param_ratio_vs_lstm"] = g["parameters"] / s["parameters"]
            g["mac_ratio_vs_lstm"] = g["macs_per_step"] / s["macs_per_step"]
            g["time_ratio_vs_lstm"] = g["step_s"] / s["step_s"]
    return list(records.values())


__all__ = [
    "compare_gru_lstm",
    "count_parameters",
    "macs_per_step",
    "time_training_step",
    "time_training_steps",
]
