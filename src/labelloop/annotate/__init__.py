"""Putting data in front of people: the offline HTML annotator (``html``) and Label Studio (``labelstudio``)."""

from __future__ import annotations


def join_guidelines(schema_text: str, extra: str | None) -> str:
    """The schema's guidelines then ``extra``; a drafted file that already quotes the schema's text is used alone."""
    base, more = schema_text.strip(), (extra or "").strip()
    if not more or more == base:
        return base
    if not base or " ".join(base.split()) in " ".join(more.split()):
        return more
    return f"{base}\n\n{more}"
