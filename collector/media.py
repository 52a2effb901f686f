"""HTTP content negotiation: which of the media types we serve a client's Accept header prefers
(the vetted index and the stand-in PyPI answer PEP 691's JSON or HTML by it)."""

from __future__ import annotations


def negotiate_media(accept: str, offers: tuple[str, ...]) -> str | None:
    """The offer with the highest q in `accept`; ties go to the earlier offer. None: nothing fits."""
    ranges = _parse_accept(accept or "*/*")
    best, best_q = None, 0.0
    for offer in offers:
        q = max((q for media, q in ranges if _covers(media, offer)), default=0.0)
        if q > best_q:
            best, best_q = offer, q
    return best


def split_media(value: str) -> tuple[str, dict[str, str]]:
    """A media type with its parameters (`text/html; charset="utf-8"`): the type lower-cased,
    and each parameter by its lower-cased name, its value stripped of quotes."""
    media, *params = (p.strip() for p in value.split(";"))
    found = {}
    for param in params:
        key, _, text = param.partition("=")
        found[key.strip().lower()] = text.strip().strip('"')
    return media.lower(), found


def _parse_accept(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, params = split_media(part)
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 0.0
        ranges.append((media.replace(".latest+", ".v1+"), q))
    return ranges


def _covers(media: str, offer: str) -> bool:
    if media in ("*/*", offer):
        return True
    return media.endswith("/*") and offer.startswith(media[:-1])
