"""Training runs: a registry of runs and the fan-out of their events to any number of viewers.

:mod:`.base` is the interface the routes use, :mod:`.local` the in-process implementation (worker
threads, asyncio queues), :mod:`.channel` one run's history and viewers, :mod:`.events` the bridge
from the engine's events to JSON messages, :mod:`.network` the network checks and caps, and
:mod:`.deps` the registry as a FastAPI dependency.
"""
