"""What a student reads in a chapter: no test-harness markers or talk, no stray control characters."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # anything but a newline (\n is \x0a)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_harness_markers_live_in_tags_not_in_the_text(path):
    for i, cell in enumerate(cells(path)):
        source = "".join(cell["source"])
        assert "NBVAL" not in source, f"{path.name} cell {i}: nbval marker in the source"
        if cell["cell_type"] == "markdown":
            assert not re.search(r"(compared|checked) by the tests|nbval", source), (
                f"{path.name} cell {i}: test-harness talk in the student's text"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_sources_hold_no_control_characters(path):
    """A LaTeX "\\text" or "\\alpha" written from a non-raw Python string becomes a TAB or a
    BEL, and the formula renders as garbage."""
    for i, cell in enumerate(cells(path)):
        found = CONTROL.search("".join(cell["source"]))
        assert not found, f"{path.name} cell {i}: control character {found.group()!r} in the source"


def test_the_control_character_check_catches_a_tab_in_latex():
    assert CONTROL.search("$\\log P / \text{length}$") and not CONTROL.search("a\nb")
