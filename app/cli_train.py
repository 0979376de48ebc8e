"""``cnn-playground train``: filled in with the training loop."""


def register(sub) -> None:
    sub.add_parser("train", help="train a model on MNIST")
