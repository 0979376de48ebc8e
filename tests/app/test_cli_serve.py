"""``cnn-playground`` serves the playground: the real command, started as a user would."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

from app.cli import build_parser


def test_defaults_and_options():
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.no_browser) == ("127.0.0.1", 8000, False)
    args = build_parser().parse_args(["--host", "0.0.0.0", "--port", "9000", "--no-browser"])
    assert (args.host, args.port, args.no_browser) == ("0.0.0.0", 9000, True)


def test_the_command_serves_the_home_page_and_health():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?lang=en", timeout=5) as r:
            assert "CNN Playground" in r.read().decode()
    finally:
        proc.terminate()
        out = proc.communicate(timeout=15)[0]
    assert f"http://127.0.0.1:{port}/" in out


def test_parsing_the_command_line_does_not_import_numpy():
    """BLAS reads its thread count once, when NumPy is imported: each command sets it first."""
    code = (
        "import sys; from app.cli import build_parser; build_parser().parse_args(['train', '--threads', '2']); "
        "assert 'numpy' not in sys.modules, 'numpy imported while parsing'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_serving_on_every_address_prints_what_students_type(monkeypatch, capsys):
    """`--host 0.0.0.0`: every address of the machine another one can reach, as a URL (IPv6 in
    brackets), and the Host check told to accept them; the browser opens the loopback address."""
    import uvicorn

    from app import cli, hosts

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setattr(hosts, "machine_addresses", lambda: ["192.0.2.7", "fd00::7"])
    monkeypatch.setenv("CNN_PLAYGROUND_LISTEN_HOST", "unset")  # (restored after the test: serve sets it)
    opened = []

    class Timer:  # the browser opening later
        def __init__(self, delay, function, args):
            self.args = args

        def start(self):
            opened.extend(self.args)

    monkeypatch.setattr(cli.threading, "Timer", Timer)
    assert cli.main(["--host", "0.0.0.0", "--port", "8123"]) == 0
    out = capsys.readouterr().out
    assert "http://192.0.2.7:8123/" in out and "http://[fd00::7]:8123/" in out
    assert out.index("CNN Playground: http://127.0.0.1:8123/") < out.index("http://192.0.2.7:8123/")
    assert opened == ["http://127.0.0.1:8123/"]
    assert os.environ["CNN_PLAYGROUND_LISTEN_HOST"] == "0.0.0.0"
    assert calls and calls[0][1]["host"] == "0.0.0.0" and calls[0][1]["port"] == 8123

    monkeypatch.setattr(hosts, "machine_addresses", lambda: [])
    cli.main(["--host", "::", "--port", "8124", "--no-browser"])
    assert "No network address found" in capsys.readouterr().out
    cli.main(["--port", "8125", "--no-browser"])  # the default, loopback: no list
    out = capsys.readouterr().out
    assert "CNN Playground: http://127.0.0.1:8125/" in out and "can open" not in out
    assert os.environ["CNN_PLAYGROUND_LISTEN_HOST"] == "127.0.0.1"


def test_the_machine_addresses_are_found_and_filtered(tmp_path):
    from app import hosts

    table = tmp_path / "if_inet6"
    table.write_text(
        "fd000000000000000000000000000002 04 40 00 82     eth0\n"
        "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"
        "00000000000000000000000000000001 01 80 10 80       lo\n"
    )
    assert hosts._linux_ipv6_addresses(table) == ["fd00::2", "fe80::fc:ff:fe00:1", "::1"]
    assert hosts._linux_ipv6_addresses(tmp_path / "absent") == []
    found = hosts.machine_addresses(
        sources=[
            lambda: ["127.0.0.1", "192.0.2.2", "not an address"],
            lambda: ["192.0.2.2", "10.1.2.3", "0.0.0.0", "169.254.1.1"],
            lambda: hosts._linux_ipv6_addresses(table),
        ]
    )
    assert found == ["10.1.2.3", "192.0.2.2", "fd00::2"]  # no loopback, link-local or duplicates; IPv4 first
    assert hosts.student_urls(80, found) == ["http://10.1.2.3:80/", "http://192.0.2.2:80/", "http://[fd00::2]:80/"]
    assert all(a not in ("127.0.0.1", "::1") for a in hosts.machine_addresses())  # the real machine's


def test_the_server_limits_malloc_arenas(monkeypatch):
    """serve() bounds glibc's arenas before uvicorn starts (mallopt M_ARENA_MAX = 2)."""
    import ctypes

    from app import cli

    calls = []

    class FakeLibc:
        def mallopt(self, option, value):
            calls.append((option, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    cli.limit_malloc_arenas()
    assert calls == [(-8, 2)]


def _negotiated_extensions(env: dict) -> str | None:
    """Start the real command with ``env`` and open /ws/predict offering compression: the extensions
    the server's handshake answer agreed to."""
    import asyncio

    from websockets.asyncio.client import connect

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    async def handshake():
        async with connect(f"ws://127.0.0.1:{port}/ws/predict", compression="deflate") as ws:
            return ws.response.headers.get("Sec-WebSocket-Extensions")

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                return asyncio.run(handshake())
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def test_websocket_compression_is_on_by_default_and_can_be_turned_off():
    """permessage-deflate saves a class's Wi-Fi 3-4x the traffic; CNN_PLAYGROUND_WS_COMPRESSION=false
    saves the server its CPU instead."""
    assert "permessage-deflate" in (_negotiated_extensions({}) or "")
    assert _negotiated_extensions({"CNN_PLAYGROUND_WS_COMPRESSION": "false"}) is None
