"""Reading a neighbour's Open Referral UK feed: follow its paging politely and return its raw records.

Both the ORUK 1.0 style (`content`, `totalPages`, `last`) and HSDS 3.0 Pages are followed, one request at a
time, honouring Retry-After. A feed that times out, answers an error or HTML, loops its paging or is too big
stops the pull with one line; nothing is stored (see directory/pull.py, which tidies and stores the records).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx

from storage.errors import DomainError

MAX_FEED_BYTES = 50 * 1024 * 1024
MAX_PAGES = 2000
PAGE_SIZE = 50
TIMEOUT_SECONDS = 30.0
MAX_RETRY_AFTER = 60.0


class PullFailed(DomainError):
    """The feed could not be read whole; nothing from this run was stored."""


def records_of(root: Any) -> list[Any]:
    """The service records in one answer of a feed (a Page of either style, a list, or an export)."""
    if isinstance(root, list):
        return root
    if isinstance(root, dict):
        for key in ("contents", "content", "services"):
            if isinstance(root.get(key), list):
                return list(root[key])
        if "id" in root:
            return [root]
    raise PullFailed("the feed's answer holds no list of services")


def records_from_text(text: str, *, where: str) -> list[Any]:
    """The service records in a saved feed file.

    Raises:
        PullFailed: the file is not JSON or holds no list of services.
    """
    return records_of(_decode(text.encode("utf-8"), where))


def _decode(body: bytes, where: str, content_type: str = "") -> Any:
    if "html" in content_type.lower() or body.lstrip()[:1] == b"<":
        raise PullFailed(f"{where} answered a web page (HTML), not an Open Referral JSON feed")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PullFailed(f"{where} is not valid JSON ({error})") from None


def _is_last(root: Any, page: int) -> bool:
    if not isinstance(root, dict):
        return True
    if "last_page" in root or "last" in root:
        return bool(root.get("last_page", root.get("last")))
    pages = root.get("total_pages", root.get("totalPages"))
    return not isinstance(pages, int) or page >= pages


def fetch_records(
    url: str,
    *,
    client: httpx.Client,
    per_page: int = PAGE_SIZE,
    sleep: Callable[[float], None] = lambda seconds: None,
) -> list[Any]:
    """Follow a feed's paging one request at a time and return every record, or raise PullFailed.

    Raises:
        PullFailed: the feed timed out, answered an error or HTML, looped its paging or was too big.
    """
    records: list[Any] = []
    seen_pages: set[str] = set()
    total_bytes = 0
    for page in range(1, MAX_PAGES + 1):
        where = f"{url} page {page}"
        response = _get(client, url, {"page": page, "per_page": per_page}, where, sleep)
        total_bytes += len(response.content)
        if total_bytes > MAX_FEED_BYTES:
            raise PullFailed(f"{url} sent more than {MAX_FEED_BYTES // (1024 * 1024)} MB; stopped")
        root = _decode(response.content, where, response.headers.get("content-type", ""))
        items = records_of(root)
        fingerprint = hashlib.sha256(response.content).hexdigest()
        if items and fingerprint in seen_pages:
            raise PullFailed(f"{url} loops its paging (page {page} repeats an earlier page); stopped")
        seen_pages.add(fingerprint)
        records += items
        if not items or _is_last(root, page):
            return records
    raise PullFailed(f"{url} has more than {MAX_PAGES} pages; stopped")


def _get(
    client: httpx.Client, url: str, params: dict[str, int], where: str, sleep: Callable[[float], None]
) -> httpx.Response:
    for attempt in range(3):
        try:
            response = client.get(url, params=params, timeout=TIMEOUT_SECONDS)
        except httpx.TimeoutException:
            raise PullFailed(f"{where} did not answer within {TIMEOUT_SECONDS:.0f} seconds") from None
        except httpx.HTTPError as error:
            raise PullFailed(f"{where} could not be reached ({type(error).__name__})") from None
        if response.status_code in (429, 503) and attempt < 2:
            wait = response.headers.get("retry-after", "5")
            sleep(min(float(wait) if wait.isdigit() else 5.0, MAX_RETRY_AFTER))
            continue
        if response.status_code != 200:
            raise PullFailed(f"{where} answered HTTP {response.status_code}")
        return response
    raise PullFailed(f"{where} kept asking us to wait; try again later")
