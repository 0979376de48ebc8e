"""``cnn-playground`` serves the playground: the real command, started as a user would."""
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
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
    code = ("import sys; from app.cli import build_parser; build_parser().parse_args(['train', '--threads', '2']); "
            "assert 'numpy' not in sys.modules, 'numpy imported while parsing'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
