import math
import time

import pytest
import torch
from torch import nn

from lstm_gru import seed_everything
from lstm_gru.models import CharRNN, SequenceModel
from lstm_gru.tasks import first_token_task, score, task_loss
from lstm_gru.train import History, evaluate, fit, lm_loss, perplexity, to_device

CPU = torch.device("cpu")


def repeating_lm_batches(pattern=(0, 1, 2, 3), batch_size=8, num_steps=6, num_batches=4):
    """LM batches of a text that repeats ``pattern``: X, Y (batch_size, num_steps) long."""
    text = torch.tensor(pattern * 200)
    starts = torch.arange(batch_size * num_batches) % len(pattern)
    batches = []
    for k in range(num_batches):
        rows = starts[k * batch_size : (k + 1) * batch_size]
        X = torch.stack([text[s : s + num_steps] for s in rows])
        Y = torch.stack([text[s + 1 : s + num_steps + 1] for s in rows])
        batches.append((X, Y))
    return batches


def test_to_device_moves_nested_batches_and_keeps_types():
    batch = {"x": (torch.ones(2), [torch.zeros(1), 3]), "y": torch.ones(1)}
    moved = to_device(batch, CPU)
    assert isinstance(moved["x"], tuple) and isinstance(moved["x"][1], list)
    assert moved["x"][1][1] == 3 and torch.equal(moved["y"], torch.ones(1))


def run_first_token(seed):
    seed_everything(seed)
    train = first_token_task(128, 8, seed=1)
    valid = first_token_task(64, 8, seed=2)
    model = SequenceModel(train.num_inputs, 8, train.num_outputs, cell="gru")
    history = fit(
        model,
        train.loader(32, seed=seed),
        num_epochs=3,
        loss_fn=task_loss,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.01),
        device=CPU,
        valid_loader=valid.loader(64, shuffle=False),
        metric_fn=score,
        progress=False,
    )
    return model, history


def test_fit_is_deterministic_for_a_seed():
    model_a, a = run_first_token(0)
    model_b, b = run_first_token(0)
    assert a.train_loss == b.train_loss and a.valid_metric == b.valid_metric
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(p, q)
    _, c = run_first_token(1)
    assert c.train_loss != a.train_loss  # the seed matters, so the equality above means something
    assert (len(a.train_loss), len(a.valid_metric), len(a.seconds), a.num_updates) == (3, 3, 3, 12)
    assert not a.stopped_early


class RecordingSGD(torch.optim.SGD):
    """SGD that records the global gradient norm it sees at every step."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.norms = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"]]
        self.norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return super().step(closure)


@pytest.mark.parametrize("clip_norm", [0.5, None])
def test_fit_clips_the_global_gradient_norm(clip_norm):
    seed_everything(0)
    model = CharRNN(4, 8)

    def big_loss(model, batch):
        return 1000 * lm_loss(model, batch)[0]  # gradients far above the clipping norm

    optimizer = RecordingSGD(model.parameters(), lr=1e-6)
    fit(
        model,
        repeating_lm_batches(),
        num_epochs=1,
        loss_fn=big_loss,
        optimizer=optimizer,
        device=CPU,
        clip_norm=clip_norm,
        progress=False,
    )
    assert len(optimizer.norms) == 4
    if clip_norm is None:
        assert min(optimizer.norms) > 10
    else:
        assert max(optimizer.norms) <= clip_norm * (1 + 1e-5)


def test_fit_stops_when_max_seconds_run_out():
    seed_everything(0)
    model = CharRNN(4, 8)

    def slow_loss(model, batch):
        time.sleep(0.05)
        return lm_loss(model, batch)

    batches = repeating_lm_batches(num_batches=20)  # 20 batches of >= 0.05 s: >= 1 s per epoch
    start = time.perf_counter()
    history = fit(
        model,
        batches,
        num_epochs=50,
        loss_fn=slow_loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        device=CPU,
        valid_loader=batches[:1],
        max_seconds=0.3,
        progress=False,
    )
    assert time.perf_counter() - start < 3.0  # not the >= 50 s that 50 epochs would take
    assert history.stopped_early
    assert len(history.train_loss) == len(history.valid_metric) == len(history.seconds) == 1
    assert 1 <= history.num_updates < 20  # a partial epoch is recorded
    assert history.seconds[0] >= 0.3


def test_a_tiny_lm_learns_a_repeating_pattern():
    seed_everything(0)
    model = CharRNN(4, 16, cell="lstm")
    batches = repeating_lm_batches(num_batches=2)
    history = fit(
        model,
        batches,
        num_epochs=12,
        loss_fn=lm_loss,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.1),
        device=CPU,
        valid_loader=batches,
        metric_fn=perplexity,
        progress=False,
    )
    assert history.train_loss[0] > 1.0  # about log(4) = 1.39 at the start
    assert history.train_loss[-1] < 0.01
    assert history.valid_metric[-1] < 1.01  # perplexity near 1: the next token is certain


def test_perplexity_of_a_uniform_model_is_vocab_size():
    model = CharRNN(7, 5, cell="gru")
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    batches = repeating_lm_batches(pattern=(0, 6, 3, 2, 5))
    assert perplexity(model, batches) == pytest.approx(7, abs=1e-4)


def test_evaluate_weights_batches_by_the_weight_loss_fn_returns():
    model = nn.Linear(1, 1)
    batches = [torch.full((1,), 1.0), torch.full((3,), 4.0)]

    def mean_with_count(model, batch):
        return batch.mean(), batch.numel()

    assert evaluate(model, batches, mean_with_count) == pytest.approx((1 + 3 * 4) / 4)
    assert evaluate(model, batches, lambda m, b: b.mean()) == pytest.approx((1 + 4) / 2)


def test_lm_loss_returns_the_mean_and_the_number_of_tokens():
    model = CharRNN(4, 3)
    X, Y = repeating_lm_batches()[0]
    loss, count = lm_loss(model, (X, Y))
    logits, _ = model(X)
    expected = nn.functional.cross_entropy(logits.reshape(-1, 4), Y.reshape(-1))
    assert count == X.numel() == 48
    torch.testing.assert_close(loss, expected, rtol=0, atol=0)


def test_fit_default_metric_is_the_mean_validation_loss():
    seed_everything(0)
    model = CharRNN(4, 8)
    batches = repeating_lm_batches()
    history = fit(
        model,
        batches,
        num_epochs=2,
        loss_fn=lm_loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
        device=CPU,
        valid_loader=batches[:2],
        progress=False,
    )
    assert history.valid_metric[-1] == pytest.approx(evaluate(model, batches[:2], lm_loss))
    assert math.exp(history.valid_metric[-1]) == pytest.approx(perplexity(model, batches[:2]))


def test_fit_shows_a_progress_bar(capsys):
    model = CharRNN(4, 8)
    fit(
        model,
        repeating_lm_batches(),
        num_epochs=2,
        loss_fn=lm_loss,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
        device=CPU,
    )
    err = capsys.readouterr().err
    assert "epochs" in err and "2/2" in err and "loss=" in err


def test_fit_errors():
    model = CharRNN(4, 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = repeating_lm_batches()
    common = dict(loss_fn=lm_loss, optimizer=opt, device=CPU, progress=False)
    with pytest.raises(ValueError, match="num_epochs must be >= 1, got 0"):
        fit(model, batches, num_epochs=0, **common)
    with pytest.raises(ValueError, match="clip_norm must be > 0 or None, got 0"):
        fit(model, batches, num_epochs=1, clip_norm=0, **common)
    with pytest.raises(ValueError, match="max_seconds must be > 0 or None, got -1"):
        fit(model, batches, num_epochs=1, max_seconds=-1, **common)
    with pytest.raises(ValueError, match="metric_fn needs a valid_loader"):
        fit(model, batches, num_epochs=1, metric_fn=perplexity, **common)
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        fit(model, [], num_epochs=1, **common)
    common["loss_fn"] = lambda m, b: m(b[0])[0]  # logits, not a scalar
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar tensor .*got \(8, 6, 4\)"):
        fit(model, batches, num_epochs=1, **common)


def test_history_starts_empty():
    assert History() == History([], [], [], 0, False)
