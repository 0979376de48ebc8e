"""``cnn-playground data``: filled in with the data module."""


def register(sub) -> None:
    sub.add_parser("data", help="say where MNIST is, or download it")
