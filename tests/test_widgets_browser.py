"""A widget in a real browser: JupyterLab in headless Chromium runs notebook 04's latent-path view,
and moving its slider with the keyboard changes the image the page shows.

Skips when Debian's chromium is not installed. The server listens on 127.0.0.1 only, with a token.
"""

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from test_jupyter_server import free_port

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
    port, token = free_port(), secrets.token_hex(16)
    environment = dict(os.environ, GANLIB_STATIC_WIDGETS="0", TF_CPP_MIN_LOG_LEVEL="2",
                       JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
                       PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", str(tmp_path), "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             "--LabApp.news_url=None", "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
             f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=tmp_path, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                try:
                    urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.3)
            with export_slides.HeadlessChromium(timeout=120, local_server=True) as browser:
                page = browser.open(f"{url}/lab/tree/widget.ipynb?token={token}", (1280, 900))
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
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert readout.strip() == "0.70"
    assert after != before and title_changed
