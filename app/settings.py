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
    # A run whose estimated peak memory (engine.memory; training or evaluation, at its batch size) is
    # above this many MB (2^20 bytes) is refused. LeNet-5 at batch 256 needs about 66 MB, four conv
    # layers of 64 filters on 28x28 about 575 MB at batch 64 and 9,000 MB at batch 1024.
    max_run_memory_mb: int = 1024


@lru_cache
def get_settings() -> Settings:
    return Settings()
