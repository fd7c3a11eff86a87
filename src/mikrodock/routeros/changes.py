"""Changes of a menu or of one item as a stream, where the transport cannot stream: by looking.

The API protocol streams (``print =follow=``, see :mod:`mikrodock.routeros.api_client`); REST
cannot, so :meth:`AsyncRouterClient.follow <mikrodock.routeros.client.AsyncRouterClient.follow>`
looks again and again and yields what changed between looks, in the same shape the API's
stream has: every record at first (unless ``only_new``), then each record that appeared or
changed, and ``{".id": ID, ".dead": "true"}`` for one that went away. Looks come quickly at
first (50 ms, growing by half each time) and then every ``poll`` seconds, so a change that
follows at once is seen at once without asking a slow router many times.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

import anyio

__all__ = ["DEAD", "is_dead", "poll_changes"]

DEAD = ".dead"
"""The key RouterOS sets on a streamed record that was removed."""

FIRST_LOOK = 0.05


def is_dead(record: dict[str, str]) -> bool:
    return record.get(DEAD, "false") not in ("false", "no", "")


async def poll_changes(
    look: Callable[[], Awaitable[list[dict[str, str]]]],
    *,
    only_new: bool = False,
    poll: float = 1.0,
) -> AsyncGenerator[dict[str, str], None]:
    """What :func:`look` shows, then what changes between looks, until the caller stops."""
    seen: dict[str, dict[str, str]] = {}
    quiet = only_new  # the first look only sets what counts as known
    delay = min(poll, FIRST_LOOK)
    while True:
        records = await look()
        now = {r.get(".id", str(i)): r for i, r in enumerate(records)}
        if not quiet:
            for key, record in now.items():
                if seen.get(key) != record:
                    yield record
            for key in seen.keys() - now.keys():
                yield {".id": key, DEAD: "true"}
        seen, quiet = now, False
        await anyio.sleep(delay)
        delay = min(poll, delay * 1.5)
