"""Settings, read from ``CNN_PLAYGROUND_*`` environment variables, behind an overridable dependency."""

from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CNN_PLAYGROUND_")

    data_dir: Path | None = None  # full MNIST IDX files, if the server has them
    runs_dir: Path | None = None  # where trained models are saved (default: user cache)
    max_body_bytes: int = 2_000_000  # larger request bodies are refused with 413
    state_dir: Path | None = None  # the runs' database and trained models (default: user cache)
    max_concurrent_runs: int | None = None  # trainer processes at once (default: one per spare core); more queue
    max_runs_per_client: int = 2  # runs one client address may have queued or training
    max_queued_runs: int = 20  # runs waiting for a trainer, all clients together
    max_run_seconds: float = 1800.0  # a training run is stopped after this long
    max_model_params: int = 2_000_000  # networks larger than this are refused
    # A run whose estimated peak memory (engine.memory; training or evaluation, at its batch size) is
    # above this many MB (2^20 bytes) is refused. LeNet-5 at batch 256 needs about 66 MB, four conv
    # layers of 64 filters on 28x28 about 575 MB at batch 64 and 9,000 MB at batch 1024.
    max_run_memory_mb: int = 1024
    # Who may talk to the server (see app/security.py). Lists: JSON (["a", "b"]) or "a, b"; "*" allows any.
    listen_host: str = "127.0.0.1"  # the address served on (set by `cnn-playground --host`)
    allowed_hosts: list[str] | str = []  # Host names accepted besides loopback (and, on 0.0.0.0, the machine's)
    allowed_origins: list[str] | str = []  # other origins ("http://host:port") whose pages may call the API
    # Concurrent connections (see app/client_limits.py); more are refused with 429 or websocket close 1013.
    max_requests_per_client: int = 20  # open HTTP requests from one client address
    max_requests: int = 400  # open HTTP requests overall
    max_websockets_per_client: int = 40  # open websockets from one client address
    max_websockets: int = 2000  # open websockets overall
    # Compress websocket messages (permessage-deflate): about 3-4x less traffic for a class on one Wi-Fi,
    # for some CPU on the server, per message and per connection.
    ws_compression: bool = True
    # Classes that students follow (see app/classes.py): open at once, from one client, connections in one.
    max_classes: int = 50
    max_classes_per_client: int = 3
    max_followers_per_class: int = 200
    class_idle_seconds: float = 1800.0  # a class ends this long after its teacher's last page closed

    @field_validator("allowed_hosts", "allowed_origins")
    @classmethod
    def _as_list(cls, value: list[str] | str) -> list[str]:
        """A list from JSON or from names separated by commas or spaces."""
        items = value.replace(",", " ").split() if isinstance(value, str) else value
        return [item.strip() for item in items if item.strip()]

    @field_validator("allowed_hosts")
    @classmethod
    def _host_patterns(cls, value: list[str]) -> list[str]:
        for host in value:
            if "*" in host and host != "*" and not (host.startswith("*.") and "*" not in host[1:]):
                raise ValueError(f"{host!r}: a host name, an address, '*.example.org' or '*'")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
