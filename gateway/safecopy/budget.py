"""Text taken line by line up to a number of characters, so readers stop once they have enough."""

from __future__ import annotations

from gateway.safecopy.results import Excerpt


class Budget:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._lines: list[str] = []
        self._size = 0

    def clear(self) -> None:
        self._lines.clear()
        self._size = 0

    @property
    def full(self) -> bool:
        """One character past the budget is kept, so the excerpt knows there was more."""
        return self._size > self.max_chars

    def add(self, text: str) -> None:
        """Lines of text; trailing spaces and runs of blank lines dropped."""
        for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if self.full:
                return
            line = raw.rstrip()
            if not line and (not self._lines or not self._lines[-1]):
                continue
            line = line[: self.max_chars + 1 - self._size]
            self._lines.append(line)
            self._size += len(line) + 1

    def excerpt(self) -> Excerpt:
        text = "\n".join(self._lines).strip()
        return Excerpt(text[: self.max_chars].rstrip(), truncated=len(text) > self.max_chars)
