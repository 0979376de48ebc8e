"""Settings, read from ``CNN_PLAYGROUND_*`` environment variables, behind an overridable dependency."""
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CNN_PLAYGROUND_")

    data_dir: Path | None = None         # full MNIST IDX files, if the server has them
    runs_dir: Path | None = None         # where trained models are saved (default: user cache)
    max_body_bytes: int = 2_000_000      # larger request bodies are refused with 413
    state_dir: Path | None = None        # the runs' database and trained models (default: user cache)
    max_concurrent_runs: int | None = None  # trainer processes at once (default: one per spare core); more queue
    max_run_seconds: float = 1800.0      # a training run is stopped after this long
    max_model_params: int = 2_000_000    # networks larger than this are refused


@lru_cache
def get_settings() -> Settings:
    return Settings()
