"""A widget in a real browser: JupyterLab in headless Chromium runs notebook 04's latent-path view,
and moving its slider with the keyboard changes the image the page shows.

Skips when Debian's chromium is not installed. The server listens on 127.0.0.1 only, with a token.
"""

import os
import sys
from pathlib import Path

import nbformat
import pytest
from test_jupyter_server import jupyter_lab

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import export_slides  # noqa: E402

CELLS = ["import numpy as np\nfrom ganlib import dcgan, widgets",
         "generator = dcgan.build_generator(16, filters=8)\n"
         "z_start, z_end = np.random.default_rng(0).standard_normal((2, 16))\n"
         "widgets.latent_path(generator, z_start, z_end)"]  # as in notebook 04, with a small generator

# The slider's handle and the image of the widget's output, once JupyterLab has rendered them.
RENDERED = """(() => {
  const image = document.querySelector(".jp-OutputArea-output img.widget-image");
  const handle = document.querySelector(".jp-OutputArea-output .widget-slider .noUi-handle");
  return image && handle && image.src ? image.src : null;
})()"""


@pytest.mark.slow
def test_moving_the_latent_slider_in_jupyterlab_changes_the_image(tmp_path):
    if export_slides.find_chromium() is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "widget.ipynb")
    environment = {"GANLIB_STATIC_WIDGETS": "0", "TF_CPP_MIN_LOG_LEVEL": "2",
                   "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with (jupyter_lab(tmp_path, tmp_path, ["--LabApp.expose_app_in_browser=True"], environment) as server,
          export_slides.HeadlessChromium(timeout=120, local_server=True) as browser):
        page = browser.open(f"{server.url}/lab/tree/widget.ipynb?token={server.token}", (1280, 900))
        browser.wait_until(page, "(() => { const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                                 " const kernel = panel && panel.sessionContext && panel.sessionContext.session"
                                 " && panel.sessionContext.session.kernel;"
                                 " return kernel && kernel.status === 'idle'; })()")
        browser.evaluate(page, "window.jupyterapp.commands.execute('notebook:run-all-cells')")
        before = browser.wait_until(page, RENDERED, timeout=120)
        browser.evaluate(page, "document.querySelector('.jp-OutputArea-output .widget-slider .noUi-handle')"
                               ".focus()")
        for _ in range(4):  # four steps of 0.05: t from 0.5 to 0.7
            for kind in ("keyDown", "keyUp"):
                browser.send("Input.dispatchKeyEvent", {"type": kind, "key": "ArrowRight",
                                                        "code": "ArrowRight", "windowsVirtualKeyCode": 39},
                             page=page)
        readout = browser.wait_until(
            page, "document.querySelector('.jp-OutputArea-output .widget-readout').textContent.trim() "
                  "!== '0.50' && document.querySelector('.jp-OutputArea-output .widget-readout').textContent")
        after = browser.wait_until(page, f"(() => {{ const src = {RENDERED}; "
                                         f"return src && src !== {before!r} ? src : null; }})()")
        title_changed = browser.evaluate(page, "document.querySelector('.jp-OutputArea-output "
                                               "img.widget-image').naturalWidth > 50")
    assert readout.strip() == "0.70"
    assert after != before and title_changed
