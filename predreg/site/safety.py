"""Registry text made safe to name a file or to link: the site's boundary with hostile ids and addresses."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$")


def web_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) address with a host, else None: anything else is shown as text, never linked."""
    if not url or any(c in url for c in "\x00\r\n\t <>\"'`\\") or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def file_name(record_id: str) -> str:
    """A file name for a record's page: the id itself when it is a plain name, else one made from its hash.

    Ids are checked slugs, but the site never trusts that: no name can leave its folder.
    """
    if _SAFE_NAME.match(record_id) and record_id not in (".", ".."):
        return record_id
    return "id-" + hashlib.sha256(record_id.encode("utf-8", "surrogatepass")).hexdigest()[:24]
