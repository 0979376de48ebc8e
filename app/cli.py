"""The ``cnn-playground`` command.

cnn-playground [--host H] [--port P] [--no-browser]   serve the playground
cnn-playground train --model lenet5 --epochs N ...     train a model from the command line
cnn-playground data [--download]                      say where MNIST is, or fetch it
"""

import argparse
import ctypes
import os
import sys
import threading
import webbrowser


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Bound the web process's memory: glibc gives every thread that allocates an arena of its own (up to
    eight per core) and seldom returns their memory, so request threads running NumPy grew a classroom
    server by 400-500 MB (benchmarks/bench_classroom.py). ``mallopt(M_ARENA_MAX)``, as the environment
    variable ``MALLOC_ARENA_MAX`` would, applies from now on; elsewhere than glibc it does nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_ARENA_MAX, arenas)


M_ARENA_MAX = -8  # from glibc's malloc.h


def serve(args) -> int:
    # One BLAS thread: requests and training runs are already spread over threads, and on small
    # matrices (batch 64, one drawing) a second BLAS thread does not pay. Must precede NumPy's import.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    limit_malloc_arenas()
    import uvicorn

    from .hosts import WILDCARD_ADDRESSES, student_urls, url_host
    from .settings import get_settings

    # The Host check (app/security.py) accepts the machine's own names when serving on every address.
    os.environ["CNN_PLAYGROUND_LISTEN_HOST"] = args.host
    everywhere = args.host in WILDCARD_ADDRESSES
    url = f"http://{'127.0.0.1' if everywhere else url_host(args.host)}:{args.port}/"
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    print(f"CNN Playground: {url}", flush=True)
    if everywhere:
        urls = student_urls(args.port)
        print(
            "Other machines on this network can open:"
            if urls
            else "No network address found: only this machine can open the playground.",
            flush=True,
        )
        for other in urls:
            print(f"    {other}", flush=True)
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        log_level="info",
        ws_per_message_deflate=get_settings().ws_compression,
    )
    return 0


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnn-playground", description="A visual playground for CNNs.")
    add_serve_arguments(parser)
    parser.set_defaults(func=serve)
    sub = parser.add_subparsers(title="commands", metavar="{serve,train,data}")
    serve_parser = sub.add_parser("serve", help="serve the playground (the default)")
    add_serve_arguments(serve_parser)
    serve_parser.set_defaults(func=serve)
    # Each command module registers its own subparser: keeps this file about wiring only.
    for register in _command_registrars():
        register(sub)
    return parser


def _command_registrars():
    from . import cli_data, cli_train  # noqa: PLC0415

    return [cli_train.register, cli_data.register]


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
