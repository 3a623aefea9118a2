"""An annotation's time, read one of two ways, always comparable.

An annotation carries ``created_at`` (when it was first made) and ``updated_at`` (when it last changed),
either possibly missing, possibly naive (files written without a zone). Two questions need two
precedences: "which answer is the person's latest?" wants the last change, "in what order did the
person work?" wants when each answer was first made, so that editing an old answer does not move it
to the end of a session. Both return aware datetimes (naive times are read as UTC), so times from
different files never fail to compare.
"""

from __future__ import annotations

from datetime import datetime, timezone

from labelloop.data.model import Annotation

#: Sorts before every real time: the key of an annotation without one.
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def aware(ts: datetime | None) -> datetime | None:
    """``ts`` with a zone: a naive time is read as UTC."""
    if ts is not None and ts.tzinfo is None:
        return ts.replace(tzinfo=timezone.utc)
    return ts


def last_changed(ann: Annotation) -> datetime | None:
    """When the annotation last changed: ``updated_at``, else ``created_at`` (picks a person's latest answer)."""
    return aware(ann.updated_at or ann.created_at)


def first_made(ann: Annotation) -> datetime | None:
    """When the annotation was first made: ``created_at``, else ``updated_at`` (orders a person's work)."""
    return aware(ann.created_at or ann.updated_at)


__all__ = ["EARLIEST", "aware", "first_made", "last_changed"]
