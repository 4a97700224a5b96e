# MUTANT analyze__retries_everything: a plausible wrong analyze.py; the graded tests must fail on it.
# ruff: noqa
"""The run: prepare each image, send it inside the quota, retry what is worth retrying, and save
every result the moment it is known.

For each image (several at a time, ``concurrency`` threads sharing one client):

1. ``prepare.prepare_image``: refused here costs nothing; downscaled or converted if needed.
2. ``call_with_retries``: call ``client.analyze`` (``call_once`` waits for the limiter inside the
   SDK's pipeline, so each call is dated when it is sent); on an error decide by
   ``error_kind``:
     retry    429, 500, 502, 503, 504, a timeout or a dropped connection: wait (``retry_delay``;
              after a 429 every thread waits) and try again, at most ``max_attempts`` tries;
     refused  the service refused *this image* (400 InvalidImageSize, InvalidImageFormat, an
              image size or URL it cannot take): no retry would change that;
     fatal    401 (key or token), 403 (the month's quota is used up), 404 (wrong endpoint), a
              400 about the request itself (a feature not offered in this region): every other
              image would get the same answer, so the run stops (ServiceError) and ``--resume``
              continues after the fix;
     failed   anything else: this image ends failed with the reason, the run goes on.
3. ``analysis.seen_from_result``, ``classify.classify_type``, ``fields.extract_fields``; the
   result is written to the store.

Every HTTP call is recorded (outcome, status code, latency, features, billed transactions) so
429s and cost are counted, including those of tries that failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from labs.azure.attachments import classify, fields, prepare, ratelimit
from labs.azure.attachments.analysis import seen_from_result
from labs.azure.attachments.features import feature_names

RETRY_STATUS = (429, 500, 502, 503, 504)
FATAL_STATUS = (401, 403, 404)
IMAGE_ERRORS = ("InvalidImageSize", "InvalidImageFormat", "InvalidImageUrl")
BILLING_HEADER = "csp-billing-usage"


class ServiceError(RuntimeError):
    """The service refuses every call (auth, quota, endpoint, request): the run cannot go on."""


@dataclass(frozen=True)
class Source:
    """One image to analyse: its id, how to read its bytes, and its labels when known."""

    id: str
    read: Callable[[], bytes] = field(repr=False)
    type: str | None = None
    fields: dict = field(default_factory=dict)

    @classmethod
    def of(cls, item) -> Source:
        """From a dataset ``Attachment`` (bytes in ``data``) or a loaded ``ImageItem`` (a file)."""
        if hasattr(item, "data"):
            return cls(item.id, lambda: item.data, item.type, dict(item.fields))
        return cls(item.id, item.read_bytes, item.type, dict(item.fields))


@dataclass
class AnalyzeConfig:
    features: list  # VisualFeatures to request (features.choose_features)
    max_attempts: int = 4
    concurrency: int = 4
    max_side: int = prepare.DEFAULT_MAX_SIDE
    language: str | None = None


@dataclass
class Attempt:
    """How one image's calls ended."""

    status: str  # done, refused or failed
    result: object = None  # the ImageAnalysisResult when done
    reason: str | None = None
    attempts: int = 0
    latency_s: float | None = None
    transactions: int = 0


@dataclass
class Stats:
    finished: int = 0
    calls: int = 0
    rate_limited: int = 0
    retries: int = 0
    started: float = field(default_factory=time.monotonic)

    def images_per_s(self) -> float:
        return self.finished / max(time.monotonic() - self.started, 1e-9)


def status_of(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


def error_code(exc: BaseException) -> str | None:
    """innererror.code of an Azure error body (e.g. InvalidImageSize), else error.code."""
    error = getattr(exc, "error", None)
    inner = getattr(error, "innererror", None) or {}
    return inner.get("code") or getattr(error, "code", None)


def error_kind(exc: BaseException) -> str:
    """'retry', 'refused', 'fatal' or 'failed' for an exception from ``client.analyze``.

    ``ServiceRequestError`` / ``ServiceResponseError`` (no answer: connection, timeout) and
    RETRY_STATUS are 'retry'; FATAL_STATUS is 'fatal'; a 400 whose innererror code is one of
    IMAGE_ERRORS, or that has no innererror at all (the image's byte size, an unreadable URL),
    is 'refused'; any other 400 is 'fatal'; everything else 'failed'.
    """
    # BEGIN SOLUTION
    # HINT: no answer or RETRY_STATUS -> retry; FATAL_STATUS -> fatal; 400: image errors refused, others fatal.
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return "retry"
    status = status_of(exc)
    if status in RETRY_STATUS:
        return "retry"
    if status in FATAL_STATUS:
        return "fatal"
    if status == 400:
        inner = getattr(getattr(exc, "error", None), "innererror", None)
        return "retry"  # BUG
    return "failed"
    # END SOLUTION


def describe(exc: BaseException) -> str:
    """'429: Requests to the Analyze Operation ...': the status and the service's message, one line."""
    message = getattr(getattr(exc, "error", None), "message", None) or str(exc).strip().splitlines()[0]
    return f"{status_of(exc) or type(exc).__name__}: {message}"


def billed(headers) -> int:
    """Transactions the service billed for one call (``CSP-Billing-Usage: ...Transaction=N``)."""
    value = ratelimit.header(headers, BILLING_HEADER) or ""
    try:
        return int(value.rsplit("=", 1)[1]) if "=" in value else 0
    except ValueError:
        return 0


class Analyzer:
    def __init__(self, client, store, config: AnalyzeConfig, limiter=None, *, on_progress=None,
                 sleep=time.sleep):
        self.client, self.store, self.config = client, store, config
        self.limiter = limiter or ratelimit.NoLimit()
        self.on_progress = on_progress or (lambda stats: None)
        self.sleep = sleep
        self.stats = Stats()
        self.feature_list = ",".join(feature_names(config.features))
        self._stats_lock = threading.Lock()
        self._stop = threading.Event()

    # -- one HTTP call ---------------------------------------------------------------------

    def call_once(self, image_id: str, data: bytes):
        """One ``analyze`` call, recorded in the store; returns (result, latency_s, transactions).

        The call waits for the limiter inside the SDK's pipeline (``raw_request_hook`` runs just
        before the request goes on the wire), so the limiter dates each call when it is sent.
        Asked earlier, it would date calls before the SDK had built the request and the thread
        had been scheduled again: calls would reach the service later than the limiter thinks,
        and two windows' calls would meet in one of the service's windows (429).
        """
        seen_headers = {}
        sent = {"at": time.monotonic(), "wall": time.time()}

        def wait_for_room(request):
            self.limiter.acquire()
            sent.update(at=time.monotonic(), wall=time.time())

        def keep_headers(response):
            seen_headers.update(response.http_response.headers)

        outcome, status, transactions = "ok", 200, 0
        try:
            options = {"language": self.config.language} if self.config.language else {}
            result = self.client.analyze(data, self.config.features, raw_request_hook=wait_for_room,
                                         raw_response_hook=keep_headers, **options)
            transactions = billed(seen_headers)
            return result, time.monotonic() - sent["at"], transactions
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            status = status_of(exc)
            outcome = "429" if status == 429 else ("timeout" if status is None else "error")
            response = getattr(exc, "response", None)
            transactions = billed(getattr(response, "headers", None))
            raise
        finally:
            with self._stats_lock:
                self.stats.calls += 1
                self.stats.rate_limited += outcome == "429"
            self.store.record_call(image_id=image_id, started_at=sent["wall"], latency_s=time.monotonic() - sent["at"],
                                   outcome=outcome, status_code=status, features=self.feature_list,
                                   transactions=transactions)

    def call_with_retries(self, image_id: str, data: bytes) -> Attempt:
        """Up to ``config.max_attempts`` calls of ``call_once`` (each waits for the limiter).

        Success: Attempt('done', result, attempts=n, latency_s, transactions summed over the
        tries). On an exception, by ``error_kind``: 'fatal' raises ServiceError (from the
        exception); 'refused' returns Attempt('refused', reason=the service's message); 'failed',
        or 'retry' on the last try, returns Attempt('failed', reason saying what and after how
        many tries); 'retry' otherwise waits ``ratelimit.retry_delay(n - 1, response headers)``
        with ``self.sleep`` (a 429 also pauses the limiter for that long) and tries again; each
        retry is counted in ``self.stats.retries`` (the run's progress line shows it).
        """
        # BEGIN SOLUTION
        # HINT: loop attempts: call_once; on error branch on error_kind; pause the limiter on 429; sleep.
        transactions = 0
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                result, latency, billed_now = self.call_once(image_id, data)
            except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
                transactions += billed(getattr(getattr(exc, "response", None), "headers", None))
                kind, message = error_kind(exc), describe(exc)
                if kind == "fatal":
                    raise ServiceError(message) from exc
                if kind == "refused":
                    return Attempt("refused", reason=f"the service refused it ({message})", attempts=attempt,
                                   transactions=transactions)
                if kind == "failed" or attempt == self.config.max_attempts:
                    return Attempt("failed", reason=f"{message} (after {attempt} tries)", attempts=attempt,
                                   transactions=transactions)
                delay = ratelimit.retry_delay(attempt - 1, getattr(getattr(exc, "response", None), "headers", None))
                if status_of(exc) == 429:
                    self.limiter.pause(delay)
                with self._stats_lock:
                    self.stats.retries += 1
                self.sleep(delay)
                continue
            return Attempt("done", result, attempts=attempt, latency_s=latency, transactions=transactions + billed_now)
        raise AssertionError("unreachable: the last attempt returns")
        # END SOLUTION

    # -- one image, and the whole run --------------------------------------------------------

    def process(self, image) -> dict | None:
        """Prepare, analyse, classify, extract; write the image's row; return it. None when the
        run is stopping (another image met a fatal error): the image stays pending."""
        if self._stop.is_set():
            return None
        try:
            return self._process(image)
        except BaseException:
            self._stop.set()  # images not started yet stay pending for --resume
            raise

    def _process(self, image) -> dict:
        try:
            prepared = prepare.prepare_image(image.read(), max_side=self.config.max_side)
        except prepare.Refused as refused:
            row = {"image_id": image.id, "status": "refused", "reason": refused.reason}
        else:
            outcome = self.call_with_retries(image.id, prepared.data)
            row = {"image_id": image.id, "status": outcome.status, "reason": outcome.reason,
                   "attempts": outcome.attempts, "latency_s": outcome.latency_s,
                   "transactions": outcome.transactions}
            if outcome.status == "done":
                seen = seen_from_result(outcome.result)
                row.update(type=classify.classify_type(seen), fields=fields.extract_fields(seen.lines))
        self.store.record([row])
        with self._stats_lock:
            self.stats.finished += 1
        self.on_progress(self.stats)
        return row

    def run(self, images: list) -> Stats:
        """Analyse every image; stops at the first ServiceError (or unfinished exercise) after
        the images in flight are saved."""
        self.stats = Stats()
        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            futures = [pool.submit(self.process, image) for image in images]
            try:
                for future in as_completed(futures):
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return self.stats
