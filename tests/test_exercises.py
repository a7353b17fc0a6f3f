"""Self-checking exercises: references pass, typical mistakes are named, nothing escapes."""

import importlib
import json
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from lstm_gru.exercises import ch02, ch03, ch04, ch05, ch07, ch08
from lstm_gru.exercises.core import CodeExercise, NumberExercise, OpenQuestion
from tests.test_speaker_notes import canonical, numbers, stored_numbers
from tools.student import blank_answers

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {  # "ch02" -> the chapter module, for every chapter notebook after 00
    f"ch{path.name[:2]}": importlib.import_module(f"lstm_gru.exercises.ch{path.name[:2]}")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not path.name.startswith("00")
}
EXERCISES = [getattr(module, name) for module in CHAPTERS.values() for name in module.__all__]
CODE_EXERCISES = [e for e in EXERCISES if isinstance(e, CodeExercise)]
NUMBER_EXERCISES = [e for e in EXERCISES if isinstance(e, NumberExercise)]
OPEN_QUESTIONS = [e for e in EXERCISES if isinstance(e, OpenQuestion)]


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_chapter_has_at_least_three_checkable_exercises(chapter):
    module = CHAPTERS[chapter]
    checkable = [
        name
        for name in module.__all__
        if isinstance(getattr(module, name), (CodeExercise, NumberExercise))
    ]
    assert len(checkable) >= 3
    for name in checkable:
        exercise = getattr(module, name)
        assert exercise.name == f"{chapter}.{name}"
        assert exercise.hints, f"{exercise.name} has no hint"
    for name in module.__all__:  # everything public is an exercise of one of the three kinds
        assert isinstance(getattr(module, name), (CodeExercise, NumberExercise, OpenQuestion))


def exercises_cell(chapter: str) -> str:
    """The "## Exercises" section of the chapter's notebook, up to the next "## " heading or
    the end of its markdown cell ("" if it has none)."""
    (path,) = (ROOT / "notebooks").glob(f"{chapter[2:]}_*.ipynb")
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        text = "".join(cell["source"])
        found = re.search(r"(?ms)^## Exercises\n.*?(?=^## |\Z)", text)
        if cell["cell_type"] == "markdown" and found:
            return found.group()
    return ""


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_open_questions_cover_the_chapters_prose_exercises_in_order(chapter):
    cell = exercises_cell(chapter)
    numbered = re.findall(r"(?m)^(\d+)\. ", cell)  # every numbered item of the cell
    titled = re.findall(r"(?m)^\d+\. \*\*(.+?)\*\*", cell)  # its bold title
    questions = getattr(CHAPTERS[chapter], "open_questions", ())
    assert numbered == [str(i) for i in range(1, len(numbered) + 1)]
    assert len(titled) == len(numbered), "every numbered exercise has a bold title"
    assert len(questions) == len(numbered)
    for question, title in zip(questions, titled, strict=True):
        assert isinstance(question, OpenQuestion)
        assert title.rstrip(".") == question.title  # "**Half open.**" or "**Which gate matters?**"
        assert f"**{question.title}" in cell


def test_every_chapter_has_its_five_open_questions():
    counts = {c: len(getattr(m, "open_questions", ())) for c, m in CHAPTERS.items()}
    assert counts == {f"ch{n:02d}": 5 for n in range(1, 9)}


@pytest.mark.parametrize("chapter", ["ch04", "ch05", "ch06", "ch08"])
def test_the_later_open_questions_ask_about_the_idea_first(chapter):
    for question in CHAPTERS[chapter].open_questions:
        assert 2 <= len(question.hints) <= 3, question.title
        assert "?" in question.hints[0], question.title


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_open_question_is_public_and_listed_once(chapter):
    module = CHAPTERS[chapter]
    named = {name: v for name, v in vars(module).items() if isinstance(v, OpenQuestion)}
    assert set(named) <= set(module.__all__)
    listed = getattr(module, "open_questions", ())
    assert sorted(map(id, listed)) == sorted(map(id, named.values()))  # each once, none missing
    for name in named:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name)


@pytest.mark.parametrize("question", OPEN_QUESTIONS, ids=lambda q: q.title)
def test_every_open_question_prints_its_title_answer_and_hints(question, capsys):
    assert 1 <= len(question.hints) <= 3
    assert question.answer.lstrip("\n") == question.answer == question.answer.rstrip()
    question.solution()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"Model answer: {question.title}"
    assert " ".join(question.answer.split()) in " ".join(out.split())  # all of it, refilled
    prose = [line for line in lines if line and not line.startswith("    ")]
    assert all(len(line) <= question.width for line in prose)
    assert 4 <= len([line for line in lines[1:] if line.strip()]) <= 20  # short, not a stub
    for level in range(1, len(question.hints) + 1):
        question.hint(level)
        assert capsys.readouterr().out == (
            f"Hint {level} of {len(question.hints)}: {question.hints[level - 1]}\n"
        )


# Numbers an open question may share with its chapter's stored outputs: each one cannot change
# when the chapter runs again (maths, a threshold, a chance level, a value of a seeded untrained
# model). Any other decimal, percentage or e-notation number that a stored output also prints is
# a result copied from one run, stale after the next: name the printout, table or figure instead.
EXACT = {
    # section 1's seeded untrained RNN: largest |eigenvalue|, mean tanh', their product
    "ch01.exploding": {"0.65", "0.94", "0.61"},
    # σ(b)^k in section 2's table, b = 4.6 one of its rows: formulas, not measurements
    "ch01.open_enough": {"8e-03", "4.6", "4e-01"},
    # section 1's table (untrained seeded models, nothing trained); chance with 4 classes
    "ch01.forget_bias_one": {"4e-04", "2e-07", "1e-10", "4e-20", "25%"},
    "ch01.gru_default_init": {"9e-10", "1e-10", "2e-11"},  # section 1's table, as above
    "ch01.longer": {"10%", "25%"},  # the share the hint asks about; chance with 4 classes
    "ch03.other_formulation": {"99%"},  # the threshold of section 4's "99% first reached"
    "ch03.skip_trained": {"0.99", "0.55", "0.96", "0.09"},  # 0.99^60 ≈ 0.55, 0.96^60 ≈ 0.09
    "ch03.three_digits": {"0.99"},  # the threshold of the table's column "z > 0.99"
    "ch03.which_gate": {"25%"},  # no memory: the most likely sum of two digits, 4 of 16
    # log10 σ(b)^50 differences (maths), and gradient_vs_distance of freshly initialised
    # float64 layers with a fixed seed (section 4's printout): the same on every machine
    "ch04.forget_bias": {"1.7", "1.4e-04", "5.2e-11", "0.5"},
    # σ(0), the range of σ at PyTorch's default initialisation, chance with 4 classes
    "ch04.mingru_on_a_task": {"0.5", "0.67", "25%"},
    "ch04.steadiness": {"25%"},  # chance with 4 classes
    "ch07.length_normalisation": {"0.75"},  # alpha, the exercise's parameter
}
OPEN_QUESTION_NAMES = {  # "ch05.how_high" -> its OpenQuestion
    f"{chapter}.{name}": getattr(module, name)
    for chapter, module in CHAPTERS.items()
    for name in module.__all__
    if isinstance(getattr(module, name), OpenQuestion)
}


def stored_output_numbers(chapter: str) -> set[str]:
    (path,) = (ROOT / "notebooks").glob(f"{chapter[2:]}_*.ipynb")
    return stored_numbers(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_open_questions_quote_no_number_of_a_stored_run(chapter):
    stored = stored_output_numbers(chapter)
    found = []
    for name, question in OPEN_QUESTION_NAMES.items():
        if not name.startswith(f"{chapter}."):
            continue
        exact = {canonical(n) for n in EXACT.get(name, ())}
        texts = {f"hint {i}": hint for i, hint in enumerate(question.hints, start=1)}
        texts["answer"] = question.answer
        for where, text in texts.items():
            for number in dict.fromkeys(numbers(text)):
                if canonical(number) in stored and canonical(number) not in exact:
                    found.append(f"{name} {where}: {number}")
    assert not found, (
        "open questions that quote a number of the stored run (name the printout, table or "
        "figure instead, or list a number that cannot change with a re-run in EXACT):\n"
        + "\n".join(found)
    )


def test_the_exact_numbers_are_used_and_printed_by_their_chapter():
    """Each entry of EXACT names an open question, and each of its numbers is in that
    question's text and in its chapter's stored outputs (else it needs no entry)."""
    for name, exact in EXACT.items():
        question = OPEN_QUESTION_NAMES[name]
        used = {n for text in (*question.hints, question.answer) for n in numbers(text)}
        stored = stored_output_numbers(name.split(".")[0])
        assert exact <= used, f"{name}: {sorted(exact - used)} not in its hints or answer"
        assert {canonical(n) for n in exact} <= stored, f"{name}: not all of {exact} stored"


def test_open_question_refills_prose_keeps_code_and_gives_hints_in_turn(capsys):
    question = OpenQuestion(
        "Demo?",
        ("first", "second"),
        """
        One paragraph written
        over three short
        lines.

            keep(this,  as_written)  # code
        - a list item long enough to wrap
        - another
        """,
    )
    assert question.answer.startswith("One paragraph written\nover")  # the text, dedented
    question.width = 24
    question.solution()
    assert capsys.readouterr().out.splitlines() == [
        "Model answer: Demo?",
        "",
        "One paragraph written",
        "over three short lines.",
        "",
        "    keep(this,  as_written)  # code",
        "- a list item long",
        "  enough to wrap",
        "- another",
    ]
    question.hint()
    question.hint()
    question.hint()  # stays at the last
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1 of 2: first",
        "Hint 2 of 2: second",
        "Hint 2 of 2: second",
    ]
    with pytest.raises(ValueError, match=r"level must be in \[1, 2\], got 0"):
        question.hint(0)


@pytest.mark.parametrize("exercise", NUMBER_EXERCISES, ids=lambda e: e.name)
def test_every_number_exercise_accepts_its_answer_and_rejects_another(exercise, capsys):
    assert exercise.check(exercise.reference) is True
    assert exercise.check(exercise.reference + 1) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {exercise.name}") and f"✘ {exercise.name}" in out
    assert exercise.question.endswith("?")


@pytest.mark.parametrize("exercise", CODE_EXERCISES, ids=lambda e: e.name)
def test_every_reference_passes_its_own_check(exercise, capsys):
    assert exercise.check(exercise.reference) is True
    assert capsys.readouterr().out.startswith(f"✔ {exercise.name}: right on all")


@pytest.mark.parametrize(
    ("exercise", "description"),
    [(e, d) for e in CODE_EXERCISES for d in e.mistakes],
    ids=lambda x: x.name if isinstance(x, CodeExercise) else x[:30],
)
def test_each_typical_mistake_is_rejected_and_named(exercise, description, capsys):
    assert exercise.check(exercise.mistakes[description]) is False
    out = capsys.readouterr().out
    assert out.startswith(f"✘ {exercise.name}, ")
    assert f"Your function gives exactly what {description} gives." in out


def test_feedback_names_the_output_the_position_and_the_size(capsys):
    def half_cell(x, h, c, W_x, W_h, b):
        h_new, c_new = ch02.lstm_step.reference(x, h, c, W_x, W_h, b)
        return h_new, c_new * 0.5

    assert not ch02.lstm_step.check(half_cell)
    out = capsys.readouterr().out
    assert (
        "✘ ch02.lstm_step, batch 1, one unit: h: right; c differs at batch row 0, unit 0: " in out
    )
    assert "largest difference" in out and "Your function gives exactly" not in out


def test_wrong_shape_type_nan_and_exceptions_are_feedback_not_tracebacks(capsys):
    def transposed(x, h, W_x, W_h, b_x, b_h, reset_after):
        return ch03.gru_step.reference(x, h, W_x, W_h, b_x, b_h, reset_after).T

    cases = [
        (transposed, "h: expected shape (1, 2), got (2, 1)"),
        (lambda *args: [0.0], "h: expected a torch.Tensor, got list"),
        (lambda x, h, *rest: h * math.nan, "h is NaN at batch row 0, unit 0"),
        (lambda *args: torch.zeros(3).view(7), "your function raised RuntimeError"),
        (lambda x: x, "your function raised TypeError"),
    ]
    for answer, message in cases:
        assert ch03.gru_step.check(answer) is False
        assert message in capsys.readouterr().out
    assert ch02.lstm_step.check(lambda *args: args[1]) is False  # one tensor, not (h, c)
    assert "expected a tuple (h, c) of 2 values, got a Tensor" in capsys.readouterr().out
    assert ch02.lstm_step.check("lstm_step") is False
    assert "expected a function, got str" in capsys.readouterr().out


def test_an_answer_that_writes_into_its_inputs_does_not_corrupt_the_cases(capsys):
    def in_place(logits, targets, valid_len):
        logits.zero_()
        valid_len.fill_(1)
        return torch.tensor(0.0)

    assert ch07.masked_loss.check(in_place) is False
    assert ch07.masked_loss.check(ch07.masked_loss.reference) is True


def test_checks_are_deterministic(capsys):
    ch03.gru_step.check(lambda *args: ch03.gru_step.reference(*args) + 0.01)
    first = capsys.readouterr().out
    ch03.gru_step.check(lambda *args: ch03.gru_step.reference(*args) + 0.01)
    assert capsys.readouterr().out == first


def test_gru_step_reference_equals_nn_gru():
    gru = torch.nn.GRU(3, 4)
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    with torch.no_grad():
        _, expected = gru(x[None], h[None])
        got = ch03.gru_step.reference(
            x, h, gru.weight_ih_l0.T, gru.weight_hh_l0.T, gru.bias_ih_l0, gru.bias_hh_l0, True
        )
    assert (got - expected[0]).abs().max() < 1e-6


def test_number_exercise(capsys):
    exercise = ch04.equal_params_hidden
    gru = torch.nn.GRU(64, exercise.reference)
    lstm = torch.nn.LSTM(64, 128)
    count = sum(p.numel() for p in gru.parameters())
    assert count == ch04.gru_params(64, exercise.reference)
    assert ch04.TARGET == sum(p.numel() for p in lstm.parameters()) == 99_328
    for other in (exercise.reference - 1, exercise.reference + 1):  # the closest count
        assert abs(ch04.gru_params(64, other) - ch04.TARGET) > abs(count - ch04.TARGET)
    assert exercise.check(152) is True
    assert exercise.check(171) is False
    out = capsys.readouterr().out
    assert "nn.GRU(64, 171) has 121,581 parameters, +22,253 from the LSTM's 99,328" in out
    assert "Scaling the units by 4/3 overshoots" in out and "grows with the square" in out
    assert exercise.check("152") is False and exercise.check(math.nan) is False
    assert exercise.check(151.5) is False
    assert "whole number" in capsys.readouterr().out.splitlines()[-1]


def test_hints_come_one_level_at_a_time_and_solutions_print(capsys):
    exercise = CodeExercise(
        "demo",
        ch07.length_normalised_score.reference,
        lambda: [],
        names=("x",),
        hints=("one", "two"),
    )
    exercise.hint()
    exercise.hint()
    exercise.hint()  # stays at the last
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1 of 2: one",
        "Hint 2 of 2: two",
        "Hint 2 of 2: two",
    ]
    with pytest.raises(ValueError, match=r"level must be in \[1, 2\], got 3"):
        exercise.hint(3)
    ch07.masked_loss.solution()
    assert "def masked_loss_reference(logits, targets, valid_len):" in capsys.readouterr().out
    ch04.equal_params_hidden.solution()
    assert capsys.readouterr().out.startswith("152: nn.LSTM(64, 128) has")


# --- wrong answers written as a student would write them, each named by the checker -------------


def lstm_h_from_old_cell(x, h, c, W_x, W_h, b):
    i, f, g, o = (x @ W_x + h @ W_h + b).chunk(4, dim=1)
    h_new = torch.sigmoid(o) * torch.tanh(c)  # before c is updated
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return h_new, c_new


def lstm_returns_c_h(x, h, c, W_x, W_h, b):
    i, f, g, o = (x @ W_x + h @ W_h + b).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return c, torch.sigmoid(o) * torch.tanh(c)


def gru_port_bug(x, h, W_x, W_h, b_x, b_h, reset_after):
    W_xr, W_xz, W_xn = W_x.chunk(3, dim=1)
    W_hr, W_hz, W_hn = W_h.chunk(3, dim=1)
    (b_xr, b_xz, b_xn), (b_hr, b_hz, b_hn) = b_x.chunk(3), b_h.chunk(3)
    r = torch.sigmoid(x @ W_xr + b_xr + h @ W_hr + b_hr)
    z = torch.sigmoid(x @ W_xz + b_xz + h @ W_hz + b_hz)
    if reset_after:
        n = torch.tanh(x @ W_xn + b_xn + r * (h @ W_hn) + b_hn)  # b_hn outside the reset
    else:
        n = torch.tanh(x @ W_xn + b_xn + (r * h) @ W_hn + b_hn)
    return z * h + (1 - z) * n


def gru_order_z_r_n(x, h, W_x, W_h, b_x, b_h, reset_after):
    z_x, r_x, n_x = (x @ W_x + b_x).chunk(3, dim=1)
    W_hz, W_hr, W_hn = W_h.chunk(3, dim=1)
    b_hz, b_hr, b_hn = b_h.chunk(3)
    r = torch.sigmoid(r_x + h @ W_hr + b_hr)
    z = torch.sigmoid(z_x + h @ W_hz + b_hz)
    if reset_after:
        n = torch.tanh(n_x + r * (h @ W_hn + b_hn))
    else:
        n = torch.tanh(n_x + (r * h) @ W_hn + b_hn)
    return z * h + (1 - z) * n


def loss_without_mask(logits, targets, valid_len):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def loss_per_sequence(logits, targets, valid_len):
    losses = F.cross_entropy(logits.permute(0, 2, 1), targets, reduction="none")
    mask = torch.arange(targets.shape[1])[None, :] < valid_len[:, None]
    return (losses * mask).sum() / logits.shape[0]


def clip_by_value(grads, max_norm):
    return [torch.clamp(g, -max_norm, max_norm) for g in grads]


def clip_by_summed_norms(grads, max_norm):
    total = sum(g.norm() for g in grads)
    return tuple(g * min(1.0, max_norm / float(total)) for g in grads)


def softmax_over_queries(queries, keys, values):
    scores = queries @ keys.transpose(1, 2) / math.sqrt(queries.shape[-1])
    return torch.softmax(scores, dim=1) @ values


def padding_scored_zero(scores, valid_len):
    mask = torch.arange(scores.shape[-1])[None, None, :] >= valid_len[:, None, None]
    return torch.softmax(scores.masked_fill(mask, 0), dim=-1)


@pytest.mark.parametrize(
    ("exercise", "answer", "named"),
    [
        (ch02.lstm_step, lstm_h_from_old_cell, "computing h from the old cell c_{t-1}"),
        (ch02.lstm_step, lstm_returns_c_h, "returning (c, h) instead of (h, c)"),
        (ch03.gru_step, gru_port_bug, "adding b_hn outside the reset gate when reset_after=True"),
        (ch03.gru_step, gru_order_z_r_n, "reading the blocks in the order update, reset"),
        (ch07.masked_loss, loss_without_mask, "no mask at all: the mean cross-entropy over every"),
        (ch07.masked_loss, loss_per_sequence, "the masked sum divided by the batch size"),
        (ch05.clip_by_global_norm, clip_by_value, "clipping by value, each entry clamped to"),
        (ch05.clip_by_global_norm, clip_by_summed_norms, "the sum of the tensors' norms instead"),
        (ch08.dot_product_attention, softmax_over_queries, "the softmax over the queries instead"),
        (ch08.masked_softmax, padding_scored_zero, "setting the padded scores to 0 instead of"),
    ],
    ids=lambda x: x.__name__ if callable(x) else "",
)
def test_a_students_typical_mistake_is_named(exercise, answer, named, capsys):
    assert exercise.check(answer) is False
    out = capsys.readouterr().out
    assert f"  Your function gives exactly what {named}" in out, out


def test_a_tuple_result_reports_each_output(capsys):
    assert ch02.lstm_step.check(lstm_h_from_old_cell) is False
    assert capsys.readouterr().out.splitlines()[0] == (
        "✘ ch02.lstm_step, batch 1, one unit: h differs at batch row 0, unit 0: expected 0.0823, "
        "got 0.2075 (largest difference 0.13); c: right"
    )
    assert ch02.lstm_step.check(lambda x, h, c, *rest: (None, c)) is False  # c unchanged
    assert capsys.readouterr().out.startswith(
        "✘ ch02.lstm_step, batch 1, one unit: h: expected a torch.Tensor, got NoneType; c differs"
    )


def test_a_stripped_body_is_not_written_yet(capsys):
    source = blank_answers(
        'def answer(*args):\n    """What `make student` keeps."""\n    return args[0]\n\n'
        "backward_steps = 64\n"
    )
    assert source.endswith("    ...  # your code\n\nbackward_steps = ...  # your code")
    namespace = {}
    exec(source, namespace)
    for exercise in (ch02.lstm_step, ch05.clip_by_global_norm, ch07.sequence_mask):
        assert exercise.check(namespace["answer"]) is False
        assert capsys.readouterr().out.endswith(
            ": not written yet: your function returns nothing (is its body still `...`, or is "
            "its return missing?)\n"
        )
    assert ch05.backward_steps.check(namespace["backward_steps"]) is False
    assert capsys.readouterr().out == (
        "✘ ch05.backward_steps: not written yet: replace the `...` with your answer\n"
    )


def test_backward_steps_explains_640_and_704(capsys):
    assert ch05.backward_steps.check(640) is False
    assert capsys.readouterr().out == (
        "✘ ch05.backward_steps: 640 is not right. That is 10 × 64, the steps of the 10 windows "
        "read before: detach() cuts them off, so the backward pass runs through the current "
        "window only.\n"
    )
    assert ch05.backward_steps.check(704) is False
    assert capsys.readouterr().out == (
        "✘ ch05.backward_steps: 704 is not right. That is 11 × 64, the answer without "
        "detach(): the graph would reach back through all 11 windows.\n"
    )


CODE = re.compile(r"[`@=*\[\]]|\w\(")  # backticks, operators, indexing, calls


@pytest.mark.parametrize("exercise", CODE_EXERCISES, ids=lambda e: e.name)
def test_a_code_exercises_first_hint_asks_about_the_idea_without_code(exercise):
    first = exercise.hints[0]
    assert first.endswith("?") and len(exercise.hints) >= 2
    assert CODE.search(first) is None, first
