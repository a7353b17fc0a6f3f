"""Speaker notes do not copy numbers from a stored run.

Each cell's ``metadata.slides`` holds the lecture's speaker notes (``ask``, ``answer``, ``say``;
see tools/publish.py). A note that quotes a training result ("5.56 in the stored run")
contradicts the slide as soon as the chapter runs again on another machine, GPU or seed. So a
note names the figure, table or printout instead, and states the qualitative result the
chapter's claims check. A number that cannot change with a re-run (a tolerance, ln 10 = 2.3026,
chance = 25%, a value of a seeded untrained toy computed the same on every machine) may stay,
declared in the cell's ``metadata.slides.exact`` list.

The check: every decimal, percentage or number in e-notation of a note that also appears in
the text of one of the notebook's stored outputs is a copied result, unless declared exact.
Output lines that start with "✔" do not count: claims and exercise checks print the same line
on every machine (their numbers are tolerances, not results).
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOTE_FIELDS = ("ask", "answer", "say")  # the speaker notes of tools/publish.py
# A decimal (0.61), a percentage (25%, 99.9%) or e-notation (3e-11); integers do not count.
# Not part of a longer number or a version (3.11.7).
NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?:[eE][+-]?\d+|%)?(?!\.?\d)")
CHECK_MARK = "✔"


def numbers(text: str) -> list[str]:
    """The decimals, percentages and e-notation numbers of ``text``, as written."""
    return [m for m in NUMBER.findall(text) if re.search(r"[.%eE]", m)]


def canonical(number: str) -> str:
    """``number`` with its exponent normalised, so that 4e-4 and the printed 4e-04 match."""
    mantissa, e, exponent = number.lower().partition("e")
    return f"{mantissa}e{int(exponent)}" if e else number


def output_text(output: dict) -> str:
    """The text of one stored output (a stream, or a result's text/plain)."""
    text = output.get("text") or output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def stored_numbers(nb: dict) -> set[str]:
    """Every number in the notebook's stored outputs, check lines ("✔ ...") left out."""
    found = set()
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            for line in output_text(output).splitlines():
                if not line.lstrip().startswith(CHECK_MARK):
                    found.update(canonical(n) for n in numbers(line))
    return found


def notes(slides: dict):
    """(field with part, text) for each speaker note of a cell's ``slides`` metadata."""
    for field in NOTE_FIELDS:
        value = slides.get(field)
        for part, text in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(text, str):
                yield f"{field}{part}", text


def copied_results(nb: dict, name: str) -> list[str]:
    """'<chapter> cell <i> slides.<field><part>: <number>' for each number of a note that a
    stored output also prints and the cell does not declare exact."""
    stored = stored_numbers(nb)
    found = []
    for index, cell in enumerate(nb["cells"]):
        slides = cell.get("metadata", {}).get("slides", {})
        exact = {canonical(n) for n in slides.get("exact", [])}
        for where, text in notes(slides):
            for number in dict.fromkeys(numbers(text)):  # each number once per note
                if canonical(number) in stored and canonical(number) not in exact:
                    found.append(f"{name} cell {index} slides.{where}: {number}")
    return found


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_speaker_notes_copy_no_number_from_the_stored_outputs(path):
    found = copied_results(read(path), path.stem)
    assert not found, (
        "speaker notes that copy a stored run's number (name the figure, table or printout "
        "instead, or list a number that cannot change with a re-run in slides.exact):\n"
        + "\n".join(found)
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exact_declarations_name_numbers_of_the_notes(path):
    """``slides.exact`` is a list of numbers that the cell's notes use, written as there."""
    for index, cell in enumerate(read(path)["cells"]):
        slides = cell.get("metadata", {}).get("slides", {})
        if "exact" not in slides:
            continue
        exact = slides["exact"]
        assert isinstance(exact, list) and exact, f"{path.stem} cell {index}: slides.exact"
        used = {n for _, text in notes(slides) for n in numbers(text)}
        unused = [n for n in exact if n not in used]
        assert not unused, f"{path.stem} cell {index}: slides.exact lists {unused}, not in a note"


def test_the_check_finds_a_copied_number_and_accepts_a_declared_one():
    def cell(slides, printed=""):
        outputs = [{"output_type": "stream", "name": "stdout", "text": [printed]}]
        return {"cell_type": "code", "metadata": {"slides": slides}, "outputs": outputs}

    nb = {
        "cells": [
            cell({"answer": "5.56 in the stored run, 4e-4 at k = 50"}, "perplexity 5.56\n"),
            cell({"ask": ["Chance is 25%.", None], "exact": ["25%"]}, "gap 4e-04; 25% chance\n"),
            cell({"answer": "below 0.25"}, "✔ helped by less than 0.25\n"),
            cell({"answer": "Python 3.11 or 1.5"}, "CPython 3.11.7, 21.5 s\n"),
        ]
    }
    assert copied_results(nb, "toy") == [
        "toy cell 0 slides.answer0: 5.56",
        "toy cell 0 slides.answer0: 4e-4",
    ]
