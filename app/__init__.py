"""The CNN Playground web app: a thin FastAPI layer over the NumPy engine in ``engine``."""
