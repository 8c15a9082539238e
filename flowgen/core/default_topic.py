"""DefaultTopicId: the "default" topic, sourced from the handling agent's key inside a handler."""

from __future__ import annotations

from flowgen.core.ids import TopicId
from flowgen.core.instantiation import MessageHandlerContext


class DefaultTopicId(TopicId):
    """A TopicId whose source defaults to the current agent's key (or ``"default"`` outside a handler).

    Inside a handler of agent ``worker/session-7``, ``DefaultTopicId()`` is ``default/session-7``: a
    publish stays within the session, reaching the per-session agents of every subscribed type.

    Example:
        >>> str(DefaultTopicId()), str(DefaultTopicId("news", "s1"))
        ('default/default', 'news/s1')
    """

    __slots__ = ()

    def __init__(self, type: str = "default", source: str | None = None) -> None:
        if source is None:
            handler = MessageHandlerContext._VAR.get()
            source = "default" if handler is None else handler.key
        super().__init__(type, source)
