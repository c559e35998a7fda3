"""``dlproof serve`` as a real process: binds 127.0.0.1 by default, answers, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request


def test_serve_binds_localhost_and_answers(tmp_path):
    env = {**os.environ, "DLPROOF_HOME": str(tmp_path)}
    code = ("import typer, sys\n"
            "from dlproof.web.commands import register\n"
            "app = typer.Typer()\n"
            "register(app)\n"
            "@app.command()\n"
            "def noop(): pass\n"
            "app(sys.argv[1:])\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("dlproof serving on http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[3]
        with urllib.request.urlopen(url + "healthz", timeout=20) as r:
            assert json.load(r)["ok"] is True
        with urllib.request.urlopen(url, timeout=20) as r:
            assert r.status == 200 and "dlproof" in r.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, -signal.SIGTERM)


def test_serve_refuses_a_port_in_use(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    code = ("import typer, sys\nfrom dlproof.web.commands import register\napp = typer.Typer()\n"
            "register(app)\n@app.command()\ndef noop(): pass\napp(sys.argv[1:])\n")
    try:
        r = subprocess.run([sys.executable, "-c", code, "serve", "--port", str(port)],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "DLPROOF_HOME": str(tmp_path)})
    finally:
        s.close()
    assert r.returncode == 2 and "cannot bind" in r.stderr
