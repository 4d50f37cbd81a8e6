"""Slides: each notebook exports to a reveal.js deck that works offline and renders in Chromium.

The browser tests skip when Debian's chromium is not installed (`make test` installs it when
it runs as root with apt-get; see scripts/install_system_data.sh).
"""

import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from bs4 import BeautifulSoup
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import export_slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
needs_chromium = pytest.mark.skipif(export_slides.find_chromium() is None,
                                    reason="Debian's chromium is not installed (apt-get install chromium)")


def cell(kind, source, slide_type, **metadata):
    made = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
    made.metadata.update(metadata, slideshow={"slide_type": slide_type})
    return made


def write_notebook(path, second_slide="## The value function\n\n$$\\min_G \\max_D V(D, G)$$\n\n"
                                      "and inline $D(x) \\in (0, 1)$."):
    """A notebook with every slide type: title, a slide with math, skip, notes, fragment, subslide."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        cell("markdown", "# 01 · Tiny\nA subtitle\n\n[![Open In Colab](https://colab.research.google.com/"
                         "assets/colab-badge.svg)](https://colab.research.google.com/github/x/y)", "slide"),
        cell("markdown", second_slide, "slide"),
        cell("code", 'preset = "SKIPPED_PARAMETER"', "skip", tags=["parameters"]),
        cell("code", 'preset = "INJECTED_PARAMETER"', "-", tags=["injected-parameters"]),
        cell("markdown", "Speaker note: SAY_HELLO", "notes"),
        cell("code", "print(1 + 1)", "fragment", tags=["slide-code"]),
        cell("markdown", "## Third\nmore", "subslide"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deck")
    return export_slides.export(write_notebook(folder / "01_tiny.ipynb"), folder / "slides")


def loaded_files(html):
    """Every URL the page loads by itself (scripts, style sheets, images, CSS @imports) but data: URLs."""
    soup = BeautifulSoup(html, "html.parser")
    urls = [tag.get("src") for tag in soup.find_all(["script", "img", "iframe"]) if tag.get("src")]
    urls += [tag.get("href") for tag in soup.find_all("link") if tag.get("href")]
    urls += re.findall(r"@import\s+url\(['\"]?([^'\")]+)", html)
    return [url for url in urls if not url.startswith("data:")]  # inline images are in the page


def test_deck_loads_only_vendored_files(deck):
    html = deck.read_text()
    urls = loaded_files(html)
    assert {"vendor/reveal.js/dist/reveal.js", "vendor/reveal.js/plugin/notes/notes.js",
            "vendor/reveal.js/dist/reveal.css", "vendor/mathjax/es5/tex-chtml-full.js"} <= set(urls)
    assert [url for url in urls if REMOTE.match(url) or not (deck.parent / url).is_file()] == []
    assert "require.js" not in html and "cdnjs" not in html and "unpkg" not in html
    assert (deck.parent / "vendor" / "reveal.js" / "LICENSE").is_file()
    assert (deck.parent / "vendor" / "mathjax" / "LICENSE").is_file()
    # the Colab badge is a remote image: on slides it becomes a plain link
    assert "colab-badge.svg" not in html
    assert BeautifulSoup(html, "html.parser").find("a", string="Open In Colab")["href"].startswith(
        "https://colab.research.google.com/")


def test_deck_follows_the_slide_metadata(deck):
    soup = BeautifulSoup(deck.read_text(), "html.parser")
    slides = soup.select("div.slides > section")
    assert [len(slide.find_all("section", recursive=False)) for slide in slides] == [1, 2]
    first, second = slides[1].find_all("section", recursive=False)
    assert "The value function" in first.get_text() and "Third" in second.get_text()
    assert "SAY_HELLO" in first.find("aside", class_="notes").get_text()
    assert "1 + 1" in first.find("div", class_="fragment").get_text()
    text = soup.get_text()
    assert "SKIPPED_PARAMETER" not in text and "INJECTED_PARAMETER" not in text


def test_export_refuses_what_is_not_a_notebook(tmp_path):
    with pytest.raises(ValueError, match="Expected an existing .ipynb notebook, got .*missing.ipynb"):
        export_slides.export(tmp_path / "missing.ipynb", tmp_path)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_course_notebook_exports_to_an_offline_deck(notebook, tmp_path):
    deck = export_slides.export(notebook, tmp_path)
    html = deck.read_text()
    assert [url for url in loaded_files(html) if REMOTE.match(url) or not (tmp_path / url).is_file()] == []
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select("div.slides > section")) >= 2, "a lecture has more than a title slide"
    nb = nbformat.read(notebook, as_version=4)
    shown = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("slideshow", {}).get("slide_type") != "skip"]
    assert len(soup.select("div.jp-CodeCell")) == len(shown), "skipped cells stay off the slides"


def non_background_fraction(image_path, box):
    """The share of pixels inside ``box`` (left, top, right, bottom) that differ from the background."""
    pixels = np.asarray(Image.open(image_path).convert("L").crop(tuple(round(v) for v in box)), dtype=int)
    background = np.bincount(pixels.ravel()).argmax()
    return float(np.mean(np.abs(pixels - background) > 40))


@pytest.fixture(scope="module")
def browser():
    if export_slides.find_chromium() is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with export_slides.HeadlessChromium(timeout=60) as running:
        yield running


@needs_chromium
def test_second_slide_renders_with_content_and_typeset_math(deck, browser, tmp_path):
    shown = export_slides.screenshot(deck, tmp_path / "slide.png", slide=1, browser=browser)
    assert shown["indices"]["h"] == 1
    assert "the value function" in shown["text"].lower()  # the theme sets headings in capitals
    assert shown["math"] == 2 and not shown["untypeset_math"], "MathJax typeset both formulas"
    assert non_background_fraction(tmp_path / "slide.png", shown["box"]) > 0.003
    assert [url for url in shown["requests"] if not url.startswith("file://")] == []


@needs_chromium
def test_a_blank_slide_is_seen_as_blank(tmp_path, browser):
    blank_deck = export_slides.export(write_notebook(tmp_path / "01_blank.ipynb", second_slide=" "),
                                      tmp_path / "slides")
    shown = export_slides.screenshot(blank_deck, tmp_path / "blank.png", slide=1, browser=browser)
    assert shown["indices"]["h"] == 1 and shown["text"] == ""
    assert non_background_fraction(tmp_path / "blank.png", shown["box"]) < 0.0005


@needs_chromium
@pytest.mark.skipif(not NOTEBOOKS, reason="no course notebook yet")
def test_first_course_deck_shows_its_second_slide(tmp_path, browser):
    deck = export_slides.export(NOTEBOOKS[0], tmp_path)
    shown = export_slides.screenshot(deck, tmp_path / "slide.png", slide=1, browser=browser)
    assert shown["indices"]["h"] == 1 and shown["text"]
    assert not shown["untypeset_math"]
    assert non_background_fraction(tmp_path / "slide.png", shown["box"]) > 0.003
    assert [url for url in shown["requests"] if not url.startswith("file://")] == []


@needs_chromium
def test_pdf_has_one_page_per_slide(deck, browser, tmp_path):
    pdf = export_slides.print_pdf(deck, tmp_path / "deck.pdf", browser=browser)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 3  # title, value function, third


@needs_chromium
@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_slide_of_a_course_deck_overflows(notebook, tmp_path, browser):
    deck = export_slides.export(notebook, tmp_path)
    assert export_slides.overflowing_slides(deck, browser=browser) == []


def test_only_code_that_teaches_is_shown_on_slides(tmp_path):
    notebook = write_notebook(tmp_path / "01_code.ipynb")
    nb = nbformat.read(notebook, as_version=4)
    taught, plumbing = nbformat.v4.new_code_cell("def teach():\n    return 42"), nbformat.v4.new_code_cell("setup_plumbing()")
    taught.metadata.update(tags=["slide-code"], slideshow={"slide_type": "-"})
    plumbing.metadata.update(slideshow={"slide_type": "-"})
    nb.cells += [taught, plumbing]
    nbformat.write(nb, notebook)
    html = export_slides.export(notebook, tmp_path / "slides").read_text()
    assert "teach" in html and "setup_plumbing" not in html
    assert "In&nbsp;[" not in html and "In [" not in html, "no input prompts on slides"
