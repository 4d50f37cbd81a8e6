"""JupyterLab's real server path: the README's `jupyter lab notebooks/` serves every notebook, and
one runs there, cell by cell, on the kernel named in its metadata, over the kernel websocket.

The server listens on 127.0.0.1 only, with a token, and is always shut down.
"""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest
import websocket  # websocket-client, which jupyter_server depends on

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT = 120  # seconds for one cell of a smoke run


class Server:
    """A `jupyter lab` subprocess and the REST calls the tests make to it."""

    def __init__(self, port, token, process):
        self.port, self.token, self.process = port, token, process
        self.url = f"http://127.0.0.1:{port}"

    def request(self, method, path, body=None, timeout=30):
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
            content_type = response.headers.get("Content-Type", "")
        return json.loads(data) if data and "json" in content_type else data.decode()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(folder, home, extra_arguments=(), environment=None):
    """Run `jupyter lab` on ``folder`` (127.0.0.1, a free port, a token; config and runtime in
    ``home``) until it answers, yield it as a ``Server``, and shut it and its kernels down."""
    port, token = free_port(), secrets.token_hex(16)
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1", "JUPYTER_CONFIG_DIR": str(home / "config"),
                   "JUPYTER_RUNTIME_DIR": str(home / "runtime"), **(environment or {})}
    with open(home / "server.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", str(folder), "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
             f"--LabApp.workspaces_dir={home / 'workspaces'}", *extra_arguments,
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=folder, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        running = Server(port, token, process)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab did not start:\n{(home / 'server.log').read_text()[-3000:]}")
                try:
                    running.request("GET", "/api/status", timeout=2)
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.3)
            yield running
        finally:
            try:
                running.request("POST", "/api/shutdown", timeout=10)  # also shuts its kernels down
                process.wait(timeout=20)
            except Exception:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not NOTEBOOKS:
        pytest.skip("no course notebook yet")
    with jupyter_lab(ROOT / "notebooks", tmp_path_factory.mktemp("jupyter")) as running:
        yield running


def test_lab_page_is_served(server):
    page = server.request("GET", f"/lab/tree/{NOTEBOOKS[0].name}")
    assert "JupyterLab" in page


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_through_the_contents_api(server, notebook):
    model = server.request("GET", f"/api/contents/{notebook.name}?content=1")
    assert (model["type"], model["format"], model["name"]) == ("notebook", "json", notebook.name)
    stored = nbformat.read(notebook, as_version=4)
    assert len(model["content"]["cells"]) == len(stored.cells)
    kernel_name = model["content"]["metadata"]["kernelspec"]["name"]
    assert kernel_name in server.request("GET", "/api/kernelspecs")["kernelspecs"]


class Kernel:
    """Runs code on a server's kernel over its websocket, as JupyterLab does."""

    def __init__(self, server, kernel_id):
        self.session = uuid.uuid4().hex
        self.socket = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={self.session}",
            header=[f"Authorization: token {server.token}"], timeout=CELL_TIMEOUT)

    def execute(self, code):
        """Run ``code``; return its stdout, or fail with the kernel's error."""
        msg_id = uuid.uuid4().hex
        self.socket.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session,
                       "username": "test", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        stdout, reply, idle = [], None, False
        deadline = time.monotonic() + CELL_TIMEOUT
        while reply is None or not idle:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the kernel did not finish within {CELL_TIMEOUT} s:\n{code[:300]}")
            frame = self.socket.recv()
            if isinstance(frame, bytes):  # a message with binary buffers (a widget's image): not ours to read
                continue
            message = json.loads(frame)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "execute_reply":
                reply = message["content"]
            elif kind == "status":
                idle = message["content"]["execution_state"] == "idle"
            elif kind == "stream" and message["content"]["name"] == "stdout":
                stdout.append(message["content"]["text"])
        if reply["status"] != "ok":
            raise AssertionError(f"{reply.get('ename')}: {reply.get('evalue')} in\n{code[:500]}")
        return "".join(stdout)


@pytest.mark.slow
def test_first_notebook_runs_on_the_servers_kernel(server, tmp_path):
    notebook = NOTEBOOKS[0]
    content = server.request("GET", f"/api/contents/{notebook.name}?content=1")["content"]
    kernel_name = content["metadata"]["kernelspec"]["name"]
    session = server.request("POST", "/api/sessions", {
        "path": notebook.name, "name": notebook.name, "type": "notebook", "kernel": {"name": kernel_name}})
    assert session["kernel"]["name"] == kernel_name
    kernel = Kernel(server, session["kernel"]["id"])
    try:
        where = json.loads(kernel.execute("import json, os, sys; print(json.dumps([sys.prefix, os.getcwd()]))"))
        assert where == [sys.prefix, str(ROOT / "notebooks")], "the kernel is .venv's Python, in notebooks/"
        for cell in content["cells"]:
            if cell["cell_type"] != "code":
                continue
            kernel.execute(cell["source"])
            if "parameters" in cell["metadata"].get("tags", []):  # what papermill injects
                kernel.execute(f'preset = "smoke"\nbuild_dir = {str(tmp_path)!r}')
    finally:
        kernel.socket.close()
        server.request("DELETE", f"/api/sessions/{session['id']}")
    results = json.loads((tmp_path / "results" / f"{notebook.stem}.json").read_text())
    assert results, "the notebook saved no numbers"
    assert session["kernel"]["id"] not in [k["id"] for k in server.request("GET", "/api/kernels")]
