"""make student: the exercise cells lose their answers and still run, giving feedback."""

import contextlib
import io
import json
from pathlib import Path

import pytest

from tests.test_notebook_text import CHAPTERS
from tools.student import BLANK, blank_answers, main, student_notebook

EXERCISE_CHAPTERS = [p for p in CHAPTERS if not p.name.startswith("00")]


def exercise_cells(nb: dict) -> list[str]:
    return [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "exercise" in c["metadata"].get("tags", [])
    ]


def test_blank_answers_keeps_signature_docstring_imports_and_the_check():
    source = '''import torch

from lstm_gru.exercises import ch01


def rnn_step(x, h,
             W_x, W_h, b):
    """One step."""
    pre = x @ W_x + h @ W_h + b
    return torch.tanh(pre)


total = 4 * (
    3 + 5
)
ch01.rnn_step.check(rnn_step)'''
    assert (
        blank_answers(source)
        == f'''import torch

from lstm_gru.exercises import ch01


def rnn_step(x, h,
             W_x, W_h, b):
    """One step."""
    {BLANK}


total = {BLANK}
ch01.rnn_step.check(rnn_step)'''
    )


@pytest.mark.parametrize("path", EXERCISE_CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_has_three_exercise_cells_that_pass_with_their_answers(path):
    cells = exercise_cells(json.loads(path.read_text()))
    assert len(cells) >= 3
    for source in cells:
        assert ".check(" in source.splitlines()[-1]


@pytest.mark.parametrize("path", EXERCISE_CHAPTERS, ids=lambda p: p.stem)
def test_student_cells_run_and_give_feedback_not_errors(path):
    nb = student_notebook(json.loads(path.read_text()))
    for source in exercise_cells(nb):
        assert BLANK in source
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, path.name, "exec"), {})  # each cell is self-contained
        assert out.getvalue().startswith("✘ "), out.getvalue()
    original = json.loads(path.read_text())
    assert [
        c["source"] for c in nb["cells"] if "exercise" not in c["metadata"].get("tags", [])
    ] == [c["source"] for c in original["cells"] if "exercise" not in c["metadata"].get("tags", [])]


def test_main_writes_the_student_notebooks(tmp_path, capsys):
    main([str(tmp_path / "student"), str(EXERCISE_CHAPTERS[0])])
    written = tmp_path / "student" / EXERCISE_CHAPTERS[0].name
    nb = json.loads(written.read_text())
    assert all(BLANK in s for s in exercise_cells(nb))
    assert f"wrote {written}" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="usage"):
        main([])


def test_the_makefile_has_the_target():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "student: $(STAMP)" in makefile and "tools/student.py build/student" in makefile
