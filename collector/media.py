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


def _parse_accept(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower().replace(".latest+", ".v1+"), q))
    return ranges


def _covers(media: str, offer: str) -> bool:
    if media in ("*/*", offer):
        return True
    return media.endswith("/*") and offer.startswith(media[:-1])
