"""Measure built slides in Chromium at 1280×720: each slide's height and its speaker notes.

``python -m tools.slide_report build/slides/03_gru.slides.html ...`` prints one line per slide
(deck, slide number, height in the slide's own pixels, whether its notes ask the room a question
and give the answer, and its title) and ends with a summary per deck. ``tests/test_publish.py``
runs :func:`measure` on every deck that ``make slides`` writes.
"""

import argparse
import sys
from pathlib import Path

from tools import browser as chromium
from tools.publish import NOTE_LABELS

WIDTH, HEIGHT = 1280, 720
LABELS = tuple(NOTE_LABELS.values())  # the notes' question and answer labels, any language
TOLERANCE = 24  # pixels a slide may overflow (about one line of text: "more than a little" fails)

# One slide, shown with every fragment, after MathJax has typeset it and its images loaded.
MEASURE_JS = """async (index) => {
  const slide = Reveal.getSlides()[index];
  const {h, v} = Reveal.getIndices(slide);
  Reveal.slide(h, v, 1000);  // every fragment visible
  if (window.MathJax && MathJax.Hub) {
    await new Promise((done) => MathJax.Hub.Queue(["Typeset", MathJax.Hub, slide], done));
  }
  await Promise.all([...slide.querySelectorAll("img")].map((img) =>
    img.complete ? null : new Promise((done) => { img.onload = img.onerror = done; })));
  const heading = slide.querySelector("h1, h2, h3, h4");
  const notes = [...slide.querySelectorAll("aside.notes")].map((n) => n.innerText).join("\\n");
  return {
    h, v,
    height: slide.scrollHeight,
    title: heading ? heading.innerText.replace(/¶$/, "").trim() : "",
    notes: notes.trim(),
  };
}"""


def measure(browser, page_path: Path, screenshots: Path | None = None) -> list[dict]:
    """One dict per slide of the deck at ``page_path``: ``h``, ``v`` (reveal.js indices),
    ``height`` (pixels, in the 1280×720 slide's own units), ``title`` and ``notes`` (text).
    With ``screenshots``, each slide is also saved there as ``<deck>-NN.png``."""
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page.goto(page_path.resolve().as_uri())
        page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=15_000)
        page.evaluate("() => Reveal.configure({transition: 'none'})")  # screenshots at rest
        rows = []
        for index in range(page.evaluate("() => Reveal.getTotalSlides()")):
            rows.append(page.evaluate(MEASURE_JS, index))
            if screenshots is not None:
                deck = page_path.name.removesuffix(".slides.html")
                page.screenshot(path=screenshots / f"{deck}-{index + 1:02d}.png")
        return rows
    finally:
        page.close()


def problems(rows: list[dict]) -> list[str]:
    """What is wrong with a measured deck: slides taller than the screen, slides whose notes do
    not ask the room a question with its expected answer."""
    found = []
    for number, row in enumerate(rows, start=1):
        where = f"slide {number} ({row['title'] or 'untitled'})"
        if row["height"] > HEIGHT + TOLERANCE:
            found.append(f"{where} is {row['height']} px tall (screen: {HEIGHT} px)")
        if not any(ask in row["notes"] and answer in row["notes"] for ask, answer in LABELS):
            found.append(f"{where} has no question for the room and expected answer in its notes")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.slide_report", description=__doc__)
    parser.add_argument("pages", nargs="+", type=Path, help="built .slides.html files")
    parser.add_argument("--screenshots", type=Path, help="folder for a PNG of every slide")
    args = parser.parse_args(argv)
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    failed = 0
    with sync_playwright() as p:
        browser = chromium.launch(p)
        for path in args.pages:
            rows = measure(browser, path, args.screenshots)
            for number, row in enumerate(rows, start=1):
                asks = "Q&A" if any(ask in row["notes"] for ask, _ in LABELS) else "---"
                print(f"{path.name} {number:3d} {row['height']:5d}px {asks} {row['title'][:60]}")
            found = problems(rows)
            failed += bool(found)
            print(f"== {path.name}: {len(rows)} slides, {len(found)} problems")
            for problem in found:
                print("   ", problem)
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
