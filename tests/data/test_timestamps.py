"""The two precedences of an annotation's time, each named for what it means."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labelloop.data.model import Annotation
from labelloop.data.timestamps import EARLIEST, aware, first_made, last_changed

MADE = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
EDITED = datetime(2025, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=2)))


def test_last_changed_prefers_updated_at_and_first_made_created_at():
    both = Annotation(annotator="a", created_at=MADE, updated_at=EDITED)
    assert last_changed(both) == EDITED and first_made(both) == MADE
    only_made = Annotation(annotator="a", created_at=MADE)
    assert last_changed(only_made) == first_made(only_made) == MADE
    only_edited = Annotation(annotator="a", updated_at=EDITED)
    assert last_changed(only_edited) == first_made(only_edited) == EDITED
    assert last_changed(Annotation(annotator="a")) is None and first_made(Annotation(annotator="a")) is None


def test_naive_times_read_as_utc_and_compare_with_aware_ones():
    naive = Annotation(annotator="a", created_at=datetime(2025, 3, 1, 12, 0))
    assert first_made(naive) == MADE and first_made(naive).tzinfo == timezone.utc
    assert last_changed(naive) < EDITED
    assert aware(None) is None and EARLIEST < MADE
