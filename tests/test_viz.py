"""Static gate heatmaps: one image per gate, units x time, exact values, fixed colour scales."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from lstm_gru.cells import GateTrace, trace_gates  # noqa: E402
from lstm_gru.viz import (  # noqa: E402
    color_limits,
    gate_kind,
    gate_matrix,
    plot_gates,
    printable_token,
    time_ticks,
)

TEXT = "if x:\n\treturn 1 "  # 16 characters with a newline, a tab and spaces


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def gru_trace():
    """A GRU trace of TEXT: 16 steps, batch of 2, 5 units."""
    torch.manual_seed(0)
    rnn = nn.GRU(3, 5)
    X = torch.randn(len(TEXT), 2, 3)  # (num_steps, batch_size, num_inputs)
    return trace_gates(rnn, X, tokens=list(TEXT))


def heatmaps(fig):
    """The axes that hold a gate heatmap (colorbars hold no image)."""
    return [ax for ax in fig.axes if ax.images]


def test_printable_token_shows_whitespace():
    assert [printable_token(c) for c in "\n \t\ra"] == ["↵", "␣", "⇥", "␍", "a"]
    assert printable_token("\x00") == "\\x00"
    assert printable_token("<unk>") == "<unk>"


def test_gate_kinds_and_colour_limits():
    assert [gate_kind(n) for n in ("forget", "update", "candidate", "hidden", "cell")] == [
        "gate",
        "gate",
        "tanh",
        "tanh",
        "state",
    ]
    assert color_limits("forget", np.array([0.2, 0.3])) == (0.0, 1.0)
    assert color_limits("hidden", np.array([-0.2, 0.3])) == (-1.0, 1.0)
    assert color_limits("cell", np.array([-2.34, 0.3])) == (-2.4, 2.4)  # rounded up to 0.1


def test_one_heatmap_per_gate_units_by_time(gru_trace):
    fig = plot_gates(gru_trace)
    axes = heatmaps(fig)
    assert [ax.get_ylabel() for ax in axes] == [f"{n}\nunit" for n in gru_trace.names]
    for ax, name in zip(axes, gru_trace.names, strict=True):
        image = ax.images[0].get_array()
        assert image.shape == (5, len(TEXT))  # (units, time)
        np.testing.assert_array_equal(image, gru_trace[name][:, 0, :].T.numpy())
    labels = [t.get_text() for t in axes[-1].get_xticklabels()]
    assert labels == [printable_token(c) for c in TEXT]
    assert labels[5] == "↵" and labels[6] == "⇥" and labels[-1] == "␣"


def test_shared_colour_scale_per_kind(gru_trace):
    axes = heatmaps(plot_gates(gru_trace))
    clims = [ax.images[0].get_clim() for ax in axes]
    assert clims == [(0.0, 1.0), (0.0, 1.0), (-1.0, 1.0), (-1.0, 1.0)]
    cmaps = [ax.images[0].get_cmap().name for ax in axes]
    assert cmaps == ["viridis", "viridis", "RdBu_r", "RdBu_r"]


def test_lstm_cell_state_gets_its_own_symmetric_scale():
    torch.manual_seed(1)
    rnn = nn.LSTM(2, 4)
    with torch.no_grad():
        rnn.bias_ih_l0[4:8] = 10.0  # forget gate ~1: the cell state accumulates past 1
        rnn.bias_ih_l0[:4] = 10.0  # input gate ~1
        rnn.bias_ih_l0[8:12] = 10.0  # candidate ~1
    trace = trace_gates(rnn, torch.zeros(6, 1, 2))
    fig = plot_gates(trace, names=["forget", "cell", "hidden"])
    axes = heatmaps(fig)
    peak = float(trace["cell"].abs().max())
    assert 5.5 < peak < 6.0  # c_t ~ t after t steps
    low, high = axes[1].images[0].get_clim()
    assert low == -high and peak <= high < peak + 0.1 + 1e-9
    assert axes[2].images[0].get_clim() == (-1.0, 1.0)
    labels = [t.get_text() for t in axes[-1].get_xticklabels()]
    assert labels == [str(t) for t in range(6)]  # no tokens: step numbers


def test_names_sample_and_max_units(gru_trace):
    fig = plot_gates(gru_trace, names=["update"], sample=1, max_units=3)
    (ax,) = heatmaps(fig)
    np.testing.assert_array_equal(ax.images[0].get_array(), gru_trace["update"][:, 1, :3].T.numpy())


def test_draws_into_given_axes(gru_trace):
    fig, axes = plt.subplots(2, 1)
    assert plot_gates(gru_trace, names=["reset", "hidden"], axes=axes) is fig
    assert [len(ax.images) for ax in axes] == [1, 1]


def test_long_text_thins_the_labels():
    positions, labels = time_ticks(list("ab" * 50), 100, max_labels=30)
    assert positions == list(range(0, 100, 4)) and labels == ["a"] * 25
    assert time_ticks(None, 3, 10) == ([0, 1, 2], ["0", "1", "2"])


def test_bad_arguments_name_the_problem(gru_trace):
    with pytest.raises(ValueError, match=r"names must be some of \['reset', 'update'"):
        plot_gates(gru_trace, names=["forget"])
    with pytest.raises(ValueError, match=r"sample must be an int in \[0, 2\), got 2"):
        plot_gates(gru_trace, sample=2)
    with pytest.raises(ValueError, match="max_units must be >= 1, got 0"):
        gate_matrix(gru_trace, "reset", max_units=0)
    _, axes = plt.subplots(3, 1)
    with pytest.raises(ValueError, match=r"one Axes per gate \(4\), got 3"):
        plot_gates(gru_trace, axes=axes)


def test_accepts_a_hand_made_trace():
    gates = {"hidden": torch.linspace(-1, 1, 6).reshape(3, 1, 2)}  # (num_steps, batch, hidden)
    fig = plot_gates(GateTrace(gates, "rnn", tokens=["a", " ", "b"]))
    (ax,) = heatmaps(fig)
    np.testing.assert_allclose(ax.images[0].get_array(), [[-1.0, -0.2, 0.6], [-0.6, 0.2, 1.0]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "␣", "b"]


def test_plot_alignment_labels_rows_and_columns():
    from lstm_gru.viz import plot_alignment

    ax = plot_alignment(np.eye(3)[:, :3][:2], ["c", "a", "t"], ["K", "AE"], title="cat")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["c", "a", "t"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["K", "AE"]
    with pytest.raises(ValueError, match=r"weights must have shape \(len\(output_tokens\)=3"):
        plot_alignment(np.ones((2, 3)), ["c", "a", "t"], ["K", "AE", "T"])
