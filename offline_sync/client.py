"""The HTTP side of the sync client: one session, one service per resource (pyodk-like).

    client = SyncClient("https://povcensus.example.vn", token="...")
    results = client.submissions.push(items)          # POST /api/v1/submissions/batch
    page = client.changes.pull(cursor=0)              # GET  /api/v1/sync/pull
    current = client.households.get("18496-thon-1-0007")
    me = client.me()

Connection errors, timeouts and 5xx answers are retried with exponential backoff and full
jitter, a bounded number of times; then `SyncError` is raised. Retrying a batch is safe because
the server stores each submission id at most once (a retry is answered `duplicate`). Every
other failure raises `SyncError` at once, carrying the response and the server's error code.
"""

from __future__ import annotations

import gzip
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from offline_sync.protocol import BATCH_PATH, HOUSEHOLD_PATH, ME_PATH, PULL_PATH, canonical_json

RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})
GZIP_ABOVE = 4096  # bytes; smaller bodies are sent as they are
USER_AGENT = "povcensus-sync/0.1"


class SyncError(Exception):
    """A request that did not succeed; `response` is the last response (None: no answer)."""

    def __init__(
        self,
        message: str,
        *,
        response: requests.Response | None = None,
        code: str | None = None,
        message_vi: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.status = response.status_code if response is not None else None
        self.code = code
        self.message_vi = message_vi or message
        self.details = details

    @property
    def retryable(self) -> bool:
        """True when trying again later may succeed (no answer, or a server-side failure)."""
        return self.status is None or self.status in RETRY_STATUSES


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base·2ⁿ))."""

    retries: int = 6
    base: float = 0.25
    cap: float = 8.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * (2**attempt)))


class SyncClient:
    """One `requests.Session` with base URL, bearer token, timeouts and bounded retries."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | tuple[float, float] = (5.0, 120.0),
        backoff: Backoff | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        on_retry: Callable[[int, float, str], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT})
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.on_retry = on_retry
        self.submissions = Submissions(self)
        self.changes = Changes(self)
        self.households = Households(self)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def me(self) -> dict[str, Any]:
        """Who the token belongs to, their communes and the open round."""
        return self.request("GET", ME_PATH)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw_body: bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Send with retries; the parsed JSON answer, or `SyncError`. The body is `json_body`
        serialised, or `raw_body` (JSON bytes) as it is."""
        data, headers = _encode(canonical_json(json_body) if json_body is not None else raw_body)
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    data=data,
                    headers=headers,
                    params=params,
                    timeout=self.timeout,
                )
            except requests.RequestException as error:  # connection, timeout, cut response
                failure: SyncError = SyncError(f"no answer from the server: {error}")
            else:
                if response.status_code < 400:
                    return _json(response)
                failure = _error(response)
            if not failure.retryable or attempt >= self.backoff.retries:
                raise failure
            delay = self.backoff.delay(attempt, self._rng)
            if self.on_retry:
                self.on_retry(attempt + 1, delay, str(failure))
            self._sleep(delay)
            attempt += 1


class Submissions:
    """`POST /api/v1/submissions/batch`."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def push(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Post a batch; one result per item, in order (raises `SyncError` on a bad answer)."""
        return self.push_encoded([canonical_json(item) for item in items])

    def push_encoded(self, items: list[bytes]) -> list[dict[str, Any]]:
        """`push` for items already serialised as JSON objects (no parse and re-encode)."""
        raw = b'{"items":[' + b",".join(items) + b"]}"
        body = self.client.request("POST", BATCH_PATH, raw_body=raw)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(items):
            raise SyncError("the server answered a batch without one result per item")
        return results


class Changes:
    """`GET /api/v1/sync/pull`."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def pull(self, cursor: int = 0, *, limit: int | None = None) -> dict[str, Any]:
        """One page: {"cursor", "has_more", "changes"}."""
        params: dict[str, Any] = {"cursor": cursor}
        if limit is not None:
            params["limit"] = limit
        return self.client.request("GET", PULL_PATH, params=params)


class Households:
    """`GET /api/v1/households/<id>`."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def get(self, household_id: str) -> dict[str, Any] | None:
        """The server's current version, or None when the server has none."""
        try:
            return self.client.request(
                "GET", HOUSEHOLD_PATH.format(household_id=requests.utils.quote(household_id))
            )
        except SyncError as error:
            if error.status == 404:
                return None
            raise


def _encode(data: bytes | None) -> tuple[bytes | None, dict[str, str]]:
    if data is None:
        return None, {}
    headers = {"Content-Type": "application/json"}
    if len(data) > GZIP_ABOVE:
        # level 1: most of the gain (households compress ~8x) for a third of the CPU of level 5
        data = gzip.compress(data, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return data, headers


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise SyncError(
            f"the server's answer is not JSON (HTTP {response.status_code})", response=response
        ) from error


def _error(response: requests.Response) -> SyncError:
    """The JSON API's one error shape, {"error": {code, message, message_vi, details}}."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    message = error.get("message") or f"HTTP {response.status_code} {response.reason}"
    return SyncError(
        f"{message} (HTTP {response.status_code})",
        response=response,
        code=error.get("code"),
        message_vi=error.get("message_vi"),
        details=error.get("details"),
    )
