"""Progress messages on standard error: numbered steps with timings, and a bar for long loops."""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

from tqdm import tqdm


class Progress:
    """``step()`` announces the next of ``total`` steps; ``bar()`` gives a callback for a loop."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._started = time.perf_counter()

    def step(self, message: str) -> None:
        self.done += 1
        if self.enabled:
            elapsed = time.perf_counter() - self._started
            print(f"[{self.done}/{self.total}] {message} ({elapsed:.1f} s)", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.enabled:
            print(f"done ({time.perf_counter() - self._started:.1f} s)", file=self.stream, flush=True)

    def note(self, message: str) -> None:
        if self.enabled:
            print(f"      {message}", file=self.stream, flush=True)

    def bar(self, description: str) -> Callable[[int, int], None] | None:
        """A ``callback(done, total)`` that draws a bar; ``None`` when disabled."""
        if not self.enabled:
            return None
        state: dict[str, tqdm] = {}

        def update(done: int, total: int) -> None:
            if "bar" not in state:
                state["bar"] = tqdm(total=total, desc=f"      {description}", file=self.stream, leave=False, unit="unit", disable=None)
            bar = state["bar"]
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        return update


SILENT = Progress(0, enabled=False)
