"""One import at a time where it matters: the LLM stack (``openai`` and the HTTP packages it loads) is
imported in a worker thread while other stages run, and importing one package from two threads at once
can fail ("partially initialized module", seen about once in 70 runs when a prewarm thread did it).

Stages that may import something (enrich, which reaches out to services; write, whose renderers may
load packages on first use) run under ``shared()``, side by side; the LLM stack's import runs under
``exclusive()``, alone: it waits for the shared stages in flight, and new ones wait for it. Collection
(git subprocesses), redaction, triage and packing import nothing once the pipeline is imported, so they
need neither (``tests/test_run_display.py`` checks what a run imports, and from which thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ImportGate:
    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._shared = 0
        self._exclusive = False

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._exclusive)
            self._shared += 1
        try:
            yield
        finally:
            async with self._changed:
                self._shared -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._exclusive)
            self._exclusive = True  # from now on new shared stages wait
            await self._changed.wait_for(lambda: self._shared == 0)
        try:
            yield
        finally:
            async with self._changed:
                self._exclusive = False
                self._changed.notify_all()
