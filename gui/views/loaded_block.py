"""The entries the message list has loaded, in order, and where they sit in the whole conversation.

Plain data beside the canvas, without Tk: the drawn entries
(:class:`~gui.views.bubble_items.Drawn`, oldest first, and by id), whether older
and newer ones exist that are not loaded and whether they were asked for, how
many entries of the conversation come before the first drawn one and how many it
holds (for the scrollbar), and :attr:`LoadedBlock.run`, which counts the times
the block was replaced, so that a page asked for an earlier block is told apart.
Pages join at either end; past :data:`MOST_DRAWN` entries the far end is let go
and becomes a gap to load again.
"""

from __future__ import annotations

from gui.view_models.scroll_model import Span
from gui.views.bubble_items import Drawn
from net.client.core.events import MessageView

#: The most messages kept drawn; beyond it the far end is let go (and loaded again when scrolled to).
MOST_DRAWN = 800


class LoadedBlock:
    def __init__(self) -> None:
        self.drawn: list[Drawn] = []
        self.by_id: dict[str, Drawn] = {}
        self.has_older = self.has_newer = False
        self.asked_older = self.asked_newer = False
        #: Entries of the conversation before the first drawn one, and in all.
        self.older = self.total = 0
        self.run = 0

    def replace(
        self,
        newest_first: list[MessageView],
        *,
        has_older: bool,
        has_newer: bool,
        older: int = 0,
        total: int | None = None,
    ) -> None:
        """Another block: ``older`` entries before it, of ``total`` (None: the page is all there is)."""
        self.run += 1
        self.drawn = [Drawn(m) for m in reversed(newest_first)]
        self.by_id = {d.message.message_id: d for d in self.drawn}
        self.has_older, self.asked_older = has_older, False
        self.has_newer, self.asked_newer = has_newer, False
        self.older = max(0, older)
        self.total = max(len(self.drawn) + self.older, total if total is not None else 0)

    def fresh(self, newest_first: list[MessageView]) -> list[Drawn]:
        """The messages of a page that are not loaded yet, oldest first."""
        return [Drawn(m) for m in reversed(newest_first) if m.message_id not in self.by_id]

    def prepend(self, fresh: list[Drawn], *, has_older: bool) -> None:
        """Older entries at the top; past :data:`MOST_DRAWN` the newest are let go."""
        self.drawn = fresh + self.drawn
        self.by_id.update((d.message.message_id, d) for d in fresh)
        self.has_older, self.asked_older = has_older, False
        self.older = max(0, self.older - len(fresh)) if has_older else 0
        if len(self.drawn) > MOST_DRAWN:  # scrolling down loads them again
            for gone in self.drawn[MOST_DRAWN:]:
                del self.by_id[gone.message.message_id]
            del self.drawn[MOST_DRAWN:]
            self.has_newer, self.asked_newer = True, False

    def extend(self, fresh: list[Drawn], *, has_newer: bool) -> None:
        """Newer entries at the bottom; past :data:`MOST_DRAWN` the oldest are let go."""
        self.drawn.extend(fresh)
        self.by_id.update((d.message.message_id, d) for d in fresh)
        self.has_newer, self.asked_newer = has_newer, False
        if len(self.drawn) > MOST_DRAWN:  # scrolling up loads them again
            cut = len(self.drawn) - MOST_DRAWN
            for gone in self.drawn[:cut]:
                del self.by_id[gone.message.message_id]
            del self.drawn[:cut]
            self.older += cut
            self.has_older, self.asked_older = True, False

    def arrived(self, message: MessageView, *, drawn: bool) -> Drawn | None:
        """A new entry of the conversation: at the bottom if ``drawn``, else only counted (below a gap)."""
        self.total += 1
        if not drawn:
            return None
        entry = Drawn(message)
        self.drawn.append(entry)
        self.by_id[message.message_id] = entry
        return entry

    def remove(self, message_id: str) -> None:
        """An entry went from the conversation (a message deleted for us): out of the drawn and the count."""
        entry = self.by_id.pop(message_id, None)
        if entry is not None:
            self.drawn.remove(entry)
            self.total = max(len(self.drawn) + self.older, self.total - 1)

    @property
    def newer(self) -> int:
        """Entries of the conversation after the last drawn one."""
        return max(0, self.total - self.older - len(self.drawn))

    def span(self, height: float) -> Span:
        """What the scrollbar stands for, with the drawn entries ``height`` pixels tall."""
        return Span(self.older, len(self.drawn), self.newer, height)

    def ids(self) -> list[str]:
        return [d.message.message_id for d in self.drawn]
