"""Export every notebook as a reveal.js slide deck that works offline, and as PDF.

    python scripts/export_slides.py                          # notebooks/*.ipynb -> build/slides/
    python scripts/export_slides.py --source build/notebooks # the copies `make course` just ran
    python scripts/export_slides.py 01 --no-pdf              # one notebook, HTML only

Each notebook becomes build/slides/<notebook>.slides.html, laid out by the cells'
``metadata.slideshow.slide_type`` (slide, subslide, fragment, skip, notes). nbconvert's own
slides load reveal.js, MathJax, require.js and jQuery from CDNs; these decks load reveal.js
4.6.1 and MathJax 3.2.2 from vendor/ (npm packages, licenses in vendor/), copied next to
the decks into build/slides/vendor/, so the folder build/slides/ works anywhere without a
network. Remote images in markdown (the Colab badge) become plain links on slides.

When Debian's ``chromium`` is installed, each deck is also printed to
build/slides/<notebook>.slides.pdf by headless Chromium (reveal.js's ``?print-pdf`` mode,
one slide per page); without it the PDFs are skipped with a note.
"""

import argparse
import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jinja2
import nbformat
from nbconvert import SlidesExporter
from nbconvert.preprocessors import Preprocessor

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "vendor"
VENDOR_PARTS = ("reveal.js", "mathjax")  # the folders of vendor/ a deck loads

# nbconvert's reveal template with its CDN blocks replaced by the local copies in vendor/.
# reveal.js and its notes plugin are UMD bundles, so plain <script> tags replace require.js;
# MathJax 3 has its own config. A slide taller or wider than the deck's 960 x 700 is shrunk to fit
# (CSS zoom) when it is shown, once its math is typeset: nothing scrolls, nothing runs off the edge.
OFFLINE_TEMPLATE = r"""
{%- extends 'reveal/index.html.j2' -%}

{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}

{%- block html_head_css -%}
<style>
/* reveal.js 4 breaks the page after every slide, so its PDFs end with a blank page */
html.print-pdf .reveal .slides .pdf-page:last-of-type { page-break-after: avoid; }
/* the theme writes headings in capitals; math in a heading keeps its case (\log, not LOG) */
.reveal mjx-container { text-transform: none; }
/* code and printed tables keep their lines; a slide too wide for them is shrunk instead */
.reveal pre { white-space: pre; overflow: visible !important; box-shadow: none; }
.reveal .jp-OutputArea, .reveal .jp-OutputArea-child, .reveal .jp-OutputArea-output, .reveal .jp-RenderedText,
.reveal .jp-RenderedHTMLCommon, .reveal .jp-Cell-outputWrapper, .reveal .jp-InputArea,
.reveal .jp-InputArea-editor { overflow: visible; }
</style>
{%- endblock html_head_css -%}

{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams"
  },
  options: {ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process"}
};
</script>
<script src="vendor/mathjax/es5/tex-chtml-full.js" id="MathJax-script"></script>
{%- endblock html_head_js_mathjax -%}

{% block footer_js %}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true,
  progress: true,
  history: true,
  transition: "{{ resources.reveal.transition }}",
  slideNumber: "{{ resources.reveal.number }}",
  plugins: [RevealNotes],
  pdfSeparateFragments: false,
  width: {{ resources.reveal.width | default('960', true) }},
  height: {{ resources.reveal.height | default('700', true) }}
});

function fitSlide(slide) {
  if (!slide || document.documentElement.classList.contains("print-pdf")) {
    return;
  }
  var config = Reveal.getConfig();
  function needed() {  // the zoom at which the slide's content fits, measured at the current zoom
    var widest = slide.scrollWidth;
    slide.querySelectorAll("pre, table, img, mjx-container, .jp-OutputArea-output, .jp-RenderedHTMLCommon")
      .forEach(function (element) { widest = Math.max(widest, element.scrollWidth); });
    return Math.min(1, config.width / widest, config.height / slide.scrollHeight);
  }
  var zoom = 1;
  slide.style.zoom = 1;
  for (var step = 0; step < 6; step++) {  // text reflows under zoom, so shrink until it fits
    var fits = needed();
    if (fits >= zoom - 0.001) {
      break;
    }
    zoom = Math.min(fits, zoom * 0.99);
    slide.style.zoom = zoom;
  }
  Reveal.layout();
}
function fitCurrentSlide() { fitSlide(Reveal.getCurrentSlide()); }
Reveal.on("ready", fitCurrentSlide);
Reveal.on("slidechanged", fitCurrentSlide);
window.addEventListener("load", fitCurrentSlide);
if (window.MathJax && MathJax.startup) {
  MathJax.startup.promise.then(fitCurrentSlide);
}
</script>
{% endblock footer_js %}
"""

LINKED_REMOTE_IMAGE = re.compile(r"\[!\[([^\]]*)\]\(https?://[^)]*\)\]\(([^)\s]+)\)")
REMOTE_IMAGE = re.compile(r"!\[([^\]]*)\]\(https?://[^)]*\)")
REMOTE_HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']https?://[^>]*>", re.IGNORECASE)

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# Headless and offline: no sandbox (root), no GPU, and none of the browser's own network
# traffic (updates, sync, QUIC); every host name resolves to nothing, so a page cannot reach
# the network even if it asked.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--disable-default-apps", "--disable-dev-shm-usage",
                  "--no-default-browser-check", "--hide-scrollbars", "--mute-audio",
                  "--host-resolver-rules=MAP * ~NOTFOUND")  # offline: no host name resolves


SLIDE_CODE_TAG = "slide-code"  # a code cell whose code teaches: shown on slides; others show their output only


class OfflineSlidesPreprocessor(Preprocessor):
    """Keeps slides free of network loads, of papermill's machinery and of code that does not teach.

    Remote markdown images (such as the Colab badge) become their alt text, as a link when
    the image was one, and papermill's injected-parameters cell is skipped like the
    parameters cell it follows. A code cell shows its code on a slide only when tagged
    ``slide-code``; the others show their output alone.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and SLIDE_CODE_TAG not in cell.metadata.get("tags", []):
            cell.metadata.setdefault("transient", {})["remove_source"] = True
        if cell.cell_type == "markdown":
            source = LINKED_REMOTE_IMAGE.sub(r"[\1](\2)", cell.source)
            source = REMOTE_IMAGE.sub(r"\1", source)
            cell.source = REMOTE_HTML_IMAGE.sub("", source)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "skip"
        return cell, resources


def make_exporter() -> SlidesExporter:
    """Return nbconvert's SlidesExporter set up for the offline template."""
    exporter = SlidesExporter(
        extra_loaders=[jinja2.DictLoader({"offline_slides.html.j2": OFFLINE_TEMPLATE})],
        template_file="offline_slides.html.j2",
        reveal_url_prefix="vendor/reveal.js",
        reveal_theme="white",  # the themes that load Google Fonts would need the network
        reveal_scroll=False,  # tall slides are shrunk to fit (fitSlide), not scrolled
        embed_images=True,  # local markdown images travel inside the deck
        exclude_input_prompt=True,  # no "In [17]:" on a slide
        exclude_output_prompt=True,
    )
    return exporter


def copy_vendor(output_dir: Path) -> None:
    """Copy reveal.js and MathJax from vendor/ to ``output_dir``/vendor/ (once)."""
    for part in VENDOR_PARTS:
        source = VENDOR / part
        if not source.is_dir():
            raise FileNotFoundError(f"Expected the vendored {part} in {source}, found nothing there.")
        shutil.copytree(source, output_dir / "vendor" / part, dirs_exist_ok=True)


def export(notebook: Path, output_dir: Path) -> Path:
    """Write ``output_dir``/<notebook>.slides.html, with the vendored libraries beside it.

    Args:
        notebook: a .ipynb file whose cells carry ``metadata.slideshow.slide_type``.
        output_dir: the folder for the deck; created when missing.

    Returns:
        The path of the written deck.

    Example:
        >>> export(Path("notebooks/01_intuition.ipynb"), Path("build/slides"))
        PosixPath('build/slides/01_intuition.slides.html')
    """
    notebook = Path(notebook)
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise ValueError(f"Expected an existing .ipynb notebook, got {notebook}.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    copy_vendor(output_dir)
    resources = {"metadata": {"name": notebook.stem, "path": str(notebook.parent)}}
    # before nbconvert's own preprocessors, which read the slide types
    nb, resources = OfflineSlidesPreprocessor().preprocess(nbformat.read(notebook, as_version=4), resources)
    html, _ = make_exporter().from_notebook_node(nb, resources)
    deck = output_dir / f"{notebook.stem}.slides.html"
    deck.write_text(html, encoding="utf-8")
    return deck


def find_chromium():
    """Return the path of a Chromium executable, or None when there is none."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class HeadlessChromium:
    """A headless Chromium driven over the DevTools protocol on a pipe (no port is opened).

    Each instance starts its own browser with a throwaway profile; use it as a context
    manager so the browser always ends. ``open`` returns a page whose network requests are
    recorded in ``requests[page]``.

    Example:
        >>> with HeadlessChromium() as browser:
        ...     page = browser.open("file:///tmp/deck.slides.html#/1")
        ...     browser.wait_until(page, "Reveal.isReady()")
    """

    def __init__(self, timeout: float = 60, local_server: bool = False):
        self.timeout = timeout
        self.flags = [flag + ", EXCLUDE 127.0.0.1" if local_server and flag.startswith("--host-resolver-rules")
                      else flag for flag in CHROMIUM_FLAGS]  # local_server: pages from 127.0.0.1 load
        self.requests = {}
        self._targets = {}
        self._next_id = 0
        self._buffer = b""
        self._events = []

    def __enter__(self):
        chromium = find_chromium()
        if chromium is None:
            raise FileNotFoundError(f"Expected Chromium ({' or '.join(CHROMIUM_NAMES)}) on PATH, found none.")
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        browser_reads, self._to_browser = os.pipe()
        self._from_browser, browser_writes = os.pipe()

        def give_pipes_fds_3_and_4():  # where --remote-debugging-pipe expects them
            reads = fcntl.fcntl(browser_reads, fcntl.F_DUPFD_CLOEXEC, 10)  # out of the way first
            writes = fcntl.fcntl(browser_writes, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        self._process = subprocess.Popen(
            [chromium, *self.flags, f"--user-data-dir={self._profile.name}",
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=give_pipes_fds_3_and_4)
        os.close(browser_reads)
        os.close(browser_writes)
        return self

    def __exit__(self, *exc_info):
        with contextlib.suppress(Exception):  # the browser may be gone already; it is ended below either way
            self.send("Browser.close", timeout=10)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time.")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed its pipe (exit code {self._process.poll()}).")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params=None, page=None, timeout=None):
        """Send one DevTools command (to ``page`` when given) and return its result."""
        self._next_id += 1
        command = {"id": self._next_id, "method": method, "params": params or {}}
        if page is not None:
            command["sessionId"] = page
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"DevTools {method} failed: {message['error']}")
                return message.get("result", {})
            if message.get("method") == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if not url.startswith("data:"):  # inline images load from the page itself
                    self.requests.setdefault(message.get("sessionId"), []).append(url)

    def open(self, url: str, size=(1280, 800)) -> str:
        """Open ``url`` in a new page of ``size`` pixels; return the page's id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        page = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.requests[page] = []
        self._targets[page] = target
        self.send("Network.enable", page=page)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False}, page=page)
        self.send("Page.navigate", {"url": url}, page=page)
        return page

    def close(self, page: str) -> None:
        """Close ``page``; its recorded requests stay in ``requests``."""
        self.send("Target.closeTarget", {"targetId": self._targets.pop(page)})

    def evaluate(self, page: str, expression: str, timeout=None):
        """Evaluate JavaScript in ``page``, awaiting a promise; return the value."""
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, page=page, timeout=timeout)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails'].get('text')} "
                               f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result["result"].get("value")

    def wait_until(self, page: str, condition: str, timeout=None):
        """Wait until the JavaScript ``condition`` is truthy in ``page``; return its value."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(page, condition, timeout=deadline - time.monotonic())
            except RuntimeError:  # the page is still loading and the names are not there yet
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"Expected `{condition}` within {timeout} s, it stayed false.")


# True once reveal.js has laid out the deck and MathJax has typeset it with its fonts.
DECK_READY = """(async () => {
  if (!(window.Reveal && Reveal.isReady())) return false;
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  return true;
})()"""


# What a screenshot shows: the current slide's place, text and typeset math, and where it is.
SLIDE_REPORT = r"""(() => {
  const slide = Reveal.getCurrentSlide();
  const box = document.querySelector(".reveal .slides").getBoundingClientRect();
  return {indices: Reveal.getIndices(), text: slide.innerText.trim(),
          math: slide.querySelectorAll("mjx-container").length,
          untypeset_math: /\$\$|\\\(/.test(slide.innerText),
          box: [box.left, box.top, box.right, box.bottom]};
})()"""


# Every slide, shown one after the other: does it stay inside the deck's box, with nothing scrolled away?
OVERFLOWS = r"""(async () => {
  const found = [];
  Reveal.configure({transition: "none", backgroundTransition: "none"});  // measure slides at rest
  const box = document.querySelector(".reveal .slides").getBoundingClientRect();
  for (const [h, column] of Reveal.getHorizontalSlides().entries()) {
    const vertical = column.querySelectorAll(":scope > section");
    for (let v = 0; v < Math.max(1, vertical.length); v++) {
      Reveal.slide(h, v);
      await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
      const slide = Reveal.getCurrentSlide(), rect = slide.getBoundingClientRect();
      const hidden = Array.from(slide.querySelectorAll("*")).filter(element =>
        !element.closest("mjx-assistive-mml") &&  // MathJax's copy for screen readers, hidden on purpose
        ["auto", "scroll", "hidden"].includes(getComputedStyle(element).overflowX) &&
        (element.scrollWidth > element.clientWidth + 2 || element.scrollHeight > element.clientHeight + 2));
      if (rect.bottom > box.bottom + 2 || rect.right > box.right + 2 || rect.top < box.top - 2 ||
          rect.left < box.left - 2 || hidden.length) {
        found.push({h: h, v: v, text: slide.innerText.trim().slice(0, 60), hidden: hidden.length,
                    overflow: [rect.bottom - box.bottom, rect.right - box.right]});
      }
    }
  }
  return found;
})()"""


def overflowing_slides(deck: Path, size=(1280, 800), browser=None) -> list:
    """The slides of ``deck`` that run past the slide's box or hide content behind a scroll bar."""
    with (contextlib.nullcontext(browser) if browser else HeadlessChromium()) as browser:
        page = browser.open(Path(deck).resolve().as_uri(), size)
        browser.wait_until(page, DECK_READY)
        found = browser.evaluate(page, OVERFLOWS, timeout=300)
        browser.close(page)
        return found


def screenshot(deck: Path, image: Path, slide: int = 0, size=(1280, 800), browser=None) -> dict:
    """Save a PNG of slide number ``slide`` (0 is the title) of ``deck``.

    Args:
        deck: an exported .slides.html.
        image: the PNG to write.
        slide: the horizontal slide to show, as in the URL ``deck#/slide``.
        size: the browser window in pixels.
        browser: a running HeadlessChromium to use; by default one is started and ended.

    Returns:
        What was shown: ``indices`` (reveal.js's), the slide's ``text``, the number of typeset
        ``math`` formulas, whether ``untypeset_math`` delimiters remain, the slide canvas's ``box``
        on the screenshot (left, top, right, bottom) and every URL the page ``requests``
        (``data:`` URLs aside).
    """
    with (contextlib.nullcontext(browser) if browser else HeadlessChromium()) as browser:
        page = browser.open(f"{Path(deck).resolve().as_uri()}#/{slide}", size)
        browser.wait_until(page, DECK_READY)
        browser.evaluate(page, "new Promise(done => setTimeout(done, 1000))")  # the slide transition
        data = browser.send("Page.captureScreenshot", {"format": "png"}, page=page)["data"]
        Path(image).write_bytes(base64.b64decode(data))
        report = browser.evaluate(page, SLIDE_REPORT)
        report["requests"] = browser.requests[page]
        browser.close(page)
        return report


def print_pdf(deck: Path, pdf: Path, browser=None) -> Path:
    """Print ``deck`` to ``pdf`` in reveal.js's print layout, one page per slide."""
    with (contextlib.nullcontext(browser) if browser else HeadlessChromium()) as browser:
        page = browser.open(f"{Path(deck).resolve().as_uri()}?print-pdf")
        browser.wait_until(page, DECK_READY)
        browser.wait_until(page, "document.querySelectorAll('.pdf-page').length")
        data = browser.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True},
                            page=page, timeout=120)["data"]
        browser.close(page)
    Path(pdf).write_bytes(base64.b64decode(data))
    return Path(pdf)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="export only notebooks whose name starts with these")
    parser.add_argument("--source", type=Path, default=ROOT / "notebooks", help="folder of notebooks")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "slides", help="folder of decks")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDFs even when Chromium is there")
    args = parser.parse_args(argv)
    notebooks = [p for p in sorted(args.source.glob("[0-9][0-9]_*.ipynb"))
                 if not args.prefixes or p.name.startswith(tuple(args.prefixes))]
    if not notebooks:
        sys.exit(f"No notebook in {args.source} matches {args.prefixes}.")
    pdf = not args.no_pdf and find_chromium() is not None
    if not args.no_pdf and not pdf:
        print("note: no PDFs, Chromium is not installed (apt-get install chromium); HTML decks only.")
    decks = []
    for notebook in notebooks:
        decks.append(export(notebook, args.output))
        print(f"{notebook.name} -> {os.path.relpath(decks[-1])}", flush=True)
    if pdf:
        with HeadlessChromium() as browser:
            for deck in decks:
                written = print_pdf(deck, deck.with_suffix(".pdf"), browser=browser)
                print(f"{deck.name} -> {os.path.relpath(written)}", flush=True)

if __name__ == "__main__":
    main()
