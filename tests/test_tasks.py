import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lstm_gru import seed_everything, tasks
from lstm_gru.tasks import (
    IGNORE_INDEX,
    adding_problem,
    copy_task,
    distractor_task,
    first_token_task,
    score,
    task_loss,
    train_recipe,
)

ALL_TASKS = [adding_problem, copy_task, first_token_task, distractor_task]


def test_adding_problem_exact_values():
    data = adding_problem(2, 4, seed=0)
    X, Y = data  # TaskData unpacks to (X, Y)
    assert X.shape == (4, 2, 2) and Y.shape == (2,)
    assert X[:, :, 1].T.tolist() == [[0, 1, 0, 1], [0, 1, 1, 0]]  # markers, one per half
    torch.testing.assert_close(
        X[:, 0, 0], torch.tensor([0.4963, 0.0885, 0.3074, 0.4901]), atol=1e-4, rtol=0
    )
    torch.testing.assert_close(
        Y, torch.tensor([0.0885 + 0.4901, 0.1320 + 0.6341]), atol=2e-4, rtol=0
    )
    assert torch.equal(data.mask, X[:, :, 1].bool())
    assert data.tokens is None and data.metric == "mse" and data.num_outputs == 1


def test_adding_problem_structure_and_baseline():
    X, Y = adding_problem(20000, 10, seed=3)
    markers = X[:, :, 1]
    assert torch.equal(markers.sum(0), torch.full((20000,), 2.0))
    assert torch.equal(markers[:5].sum(0), torch.ones(20000))  # one marker in each half
    torch.testing.assert_close(Y, (X[:, :, 0] * markers).sum(0))
    assert adding_problem(1, 2).baseline == pytest.approx(1 / 6)
    assert ((Y - 1) ** 2).mean().item() == pytest.approx(1 / 6, abs=0.005)  # always answer 1


def test_copy_task_exact_values():
    data = copy_task(2, 7, seed=0, num_symbols=3, copy_len=2)
    # ids: 0 blank, 1..3 symbols, 4 delimiter at step 7 - 2 - 1 = 4
    assert data.tokens.T.tolist() == [[3, 3, 0, 0, 4, 0, 0], [1, 1, 0, 0, 4, 0, 0]]
    assert data.Y.T.tolist() == [[-100] * 5 + [2, 2], [-100] * 5 + [0, 0]]
    assert data.X.shape == (7, 2, 5)
    assert torch.equal(data.X, F.one_hot(data.tokens, 5).float())
    assert data.mask.T.tolist() == [[True, True] + [False] * 5] * 2
    assert data.baseline == pytest.approx(1 / 3) and data.num_outputs == 3


def test_copy_task_targets_repeat_the_symbols():
    data = copy_task(50, 30, seed=1, copy_len=5)
    assert torch.equal(data.Y[-5:] + 1, data.tokens[:5])
    assert (data.Y[:-5] == IGNORE_INDEX).all()
    assert (data.tokens[5:] == torch.where(torch.arange(5, 30) == 24, 9, 0)[:, None]).all()


def test_first_token_task_exact_values():
    data = first_token_task(3, 5, seed=0, num_classes=2, num_noise=3)
    assert data.tokens.T.tolist() == [[0, 3, 2, 2, 4], [1, 3, 4, 2, 2], [1, 3, 4, 3, 2]]
    assert data.Y.tolist() == [0, 1, 1]
    assert data.X.shape == (5, 3, 5) and data.baseline == 0.5 and data.num_outputs == 2
    assert data.mask[0].all() and not data.mask[1:].any()


def test_first_token_task_noise_never_looks_like_a_class():
    data = first_token_task(200, 20, seed=2, num_classes=4, num_noise=6)
    assert torch.equal(data.tokens[0], data.Y)
    assert data.tokens[1:].min() >= 4 and data.tokens[1:].max() <= 9


def test_distractor_task_exact_values():
    data = distractor_task(3, 6, seed=0, num_relevant=2, num_values=3, num_distractors=2)
    assert data.tokens.T.tolist() == [[4, 2, 3, 3, 0, 4], [4, 1, 4, 0, 4, 4], [4, 3, 0, 2, 3, 3]]
    assert data.Y.tolist() == [2, 1, 2]
    assert data.mask.T.int().tolist() == [
        [0, 1, 0, 0, 1, 0],
        [0, 1, 0, 1, 0, 0],
        [0, 0, 1, 1, 0, 0],
    ]
    assert data.baseline == pytest.approx(3 / 9)  # P(sum of two digits 0..2 is 2)
    assert data.num_outputs == 5  # sums 0..4


def test_distractor_task_answer_depends_only_on_the_digits():
    data = distractor_task(300, 40, seed=4, num_relevant=3, num_values=4, num_distractors=5)
    assert torch.equal(data.mask.sum(0), torch.full((300,), 3))
    assert (data.tokens[data.mask] < 4).all() and (data.tokens[~data.mask] >= 4).all()
    assert torch.equal(data.Y, (data.tokens * data.mask).sum(0))
    assert data.baseline == pytest.approx(12 / 64)  # P(sum of three digits 0..3 is 4 or 5)


@pytest.mark.parametrize("make", ALL_TASKS)
def test_tasks_are_deterministic_for_a_seed(make):
    a, b, c = make(8, 12, seed=5), make(8, 12, seed=5), make(8, 12, seed=6)
    assert torch.equal(a.X, b.X) and torch.equal(a.Y, b.Y) and torch.equal(a.mask, b.mask)
    assert not torch.equal(a.X, c.X)
    assert a.X.dtype == torch.float32 and a.X.shape[:2] == (12, 8)
    assert a.mask.shape == (12, 8) and a.mask.dtype == torch.bool


@pytest.mark.parametrize("make", ALL_TASKS)
def test_tasks_reject_bad_sizes(make):
    with pytest.raises(ValueError, match="num_samples must be >= 1, got 0"):
        make(0, 12)
    with pytest.raises(TypeError, match="num_steps must be an int"):
        make(4, 12.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        make(4, 12, seed="0")


def test_task_specific_errors():
    with pytest.raises(ValueError, match=r"num_steps must be >= 2 \* copy_len \+ 1 = 11, got 10"):
        copy_task(4, 10, copy_len=5)
    with pytest.raises(ValueError, match="num_steps must be >= 2, got 1"):
        adding_problem(4, 1)
    with pytest.raises(ValueError, match="num_steps must be >= num_relevant=3, got 2"):
        distractor_task(4, 2, num_relevant=3)
    with pytest.raises(ValueError, match="num_classes must be >= 2, got 1"):
        first_token_task(4, 5, num_classes=1)


def test_loader_batches_time_major_and_covers_every_sample():
    data = first_token_task(10, 6, seed=0)
    loader = data.loader(4, seed=0)
    assert len(loader) == 3
    batches = list(loader)
    assert [tuple(X.shape) for X, _ in batches] == [(6, 4, 8), (6, 4, 8), (6, 2, 8)]
    seen = torch.cat([Y for _, Y in batches])
    assert sorted(seen.tolist()) == sorted(data.Y.tolist())
    for X, Y in batches:  # each X column still belongs to its Y
        assert torch.equal(X[0].argmax(-1), Y)
    again = [Y.tolist() for _, Y in data.loader(4, seed=0)]
    assert again == [Y.tolist() for _, Y in batches]  # reproducible for a seed
    assert [Y.tolist() for _, Y in list(loader)] != again  # a new order every pass


def test_loader_of_per_step_targets_batches_dimension_one():
    data = copy_task(5, 11, seed=0)
    X, Y = next(iter(data.loader(5, shuffle=False)))
    assert torch.equal(X, data.X) and torch.equal(Y, data.Y)
    X, Y = next(iter(data.loader(2, shuffle=False)))
    assert Y.shape == (11, 2) and torch.equal(Y, data.Y[:, :2])


class Constant(nn.Module):
    """A fake model returning fixed outputs, to check losses and scores exactly."""

    def __init__(self, output):
        super().__init__()
        self.output = output
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return self.output


def test_task_loss_and_score_for_regression():
    X, Y = torch.zeros(3, 2, 2), torch.tensor([1.0, 2.0])
    model = Constant(torch.tensor([[1.5], [1.5]]))
    loss, count = task_loss(model, (X, Y))
    assert loss.item() == pytest.approx(0.25) and count == 2
    assert score(model, [(X, Y)]) == pytest.approx(0.25)


def test_task_loss_and_score_for_classification():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    model = Constant(logits)
    Y = torch.tensor([0, 0, 0])
    loss, count = task_loss(model, (torch.zeros(4, 3, 1), Y))
    torch.testing.assert_close(loss, F.cross_entropy(logits, Y))
    assert count == 3
    assert score(model, [(torch.zeros(4, 3, 1), Y)]) == pytest.approx(2 / 3)


def test_task_loss_and_score_skip_unscored_steps():
    logits = torch.zeros(3, 2, 4)  # (num_steps, batch_size, num_classes)
    logits[2, :, 1] = 5.0
    Y = torch.tensor([[IGNORE_INDEX, IGNORE_INDEX], [IGNORE_INDEX, IGNORE_INDEX], [1, 3]])
    loss, count = task_loss(Constant(logits), (torch.zeros(3, 2, 1), Y))
    torch.testing.assert_close(loss, F.cross_entropy(logits[2], Y[2]))
    assert count == 2
    assert score(Constant(logits), [(torch.zeros(3, 2, 1), Y)]) == 0.5


def test_train_recipe_on_a_short_sequence():
    kwargs = dict(num_steps=8, num_classes=4, num_noise=4)
    model, history, valid = train_recipe(
        "first_token",
        "gru",
        num_train=1024,
        num_valid=200,
        task_kwargs=kwargs,
        num_epochs=2,
        lr=0.02,
        device="cpu",
        progress=False,
    )
    assert valid.X.shape == (8, 200, 8) and valid.baseline == 0.25
    assert len(history.valid_metric) == 2 and history.num_updates == 32
    assert history.valid_metric == [0.73, 1.0]  # a GRU learns to remember a token for 8 steps
    assert model.rnn.hidden_size == tasks.RECIPES["first_token"]["num_hiddens"]


def test_train_recipe_errors():
    with pytest.raises(ValueError, match="name must be one of"):
        train_recipe("sorting", "gru")


def test_recipes_are_long_range():
    for name, recipe in tasks.RECIPES.items():
        assert recipe["task_kwargs"]["num_steps"] >= 100, name
        assert recipe["task"] in tasks.TASKS


def test_seed_everything_does_not_change_task_data():
    seed_everything(0)
    a = first_token_task(4, 5, seed=1)
    seed_everything(123)
    assert torch.equal(first_token_task(4, 5, seed=1).X, a.X)  # tasks use their own generator


def test_train_recipe_rejects_unknown_overrides():
    with pytest.raises(ValueError, match=r"unknown recipe entries \['epochs'\]"):
        train_recipe("adding", "lstm", epochs=1)
