"""The one exception the engine raises for a configuration it cannot run.

Every message is meant for a student: it names the layer or argument and shows the numbers.
``code`` and ``params`` let a user interface translate the message; ``str(error)`` is English.
"""


class EngineError(ValueError):
    """A configuration or input the engine cannot run, explained in words.

    ``code`` is a stable identifier (for example ``"kernel_too_big"``) and ``params`` holds the
    numbers the message shows, so that another language can render the same explanation.
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params

    def __reduce__(self):
        # Pickled by its fields (the default would call ``EngineError(message)``): so that an error raised
        # in a worker process arrives whole in the process that asked.
        return (
            type(self),
            (self.code, self.message),
            {"code": self.code, "message": self.message, "params": self.params},
        )
