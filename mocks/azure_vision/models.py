"""State and logic of the Image Analysis emulator: :class:`VisionBackend`.

The backend knows nothing about HTTP: ``responses.py`` turns requests into calls on it and its
results (or :mod:`exceptions`) into the wire format. It holds the run-time config (region,
pricing tier, faults...), the tier's limiter, uploaded images (``/_mock/images/``), a queue of
scripted next responses, a bounded request log and usage totals.

A call goes through the checks in the order the service applies them: key, api-version, the
scripted queue, the tier's rate and quota (each requested feature is a billed transaction), the
query parameters, the image, then the stand-in (``standin.py``) and the OCR (``ocr.py``).
"""

from __future__ import annotations

import copy
import itertools
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mocks.azure_vision import exceptions as err
from mocks.azure_vision import images, ratelimit

API_VERSION = "2023-10-01"
# What the service lists in its api-supported-versions header (recorded responses, 2023-12).
SUPPORTED_API_VERSIONS = ["4.0-pre1", "2022-07-31-preview", "2022-10-12-preview", "2023-02-01-preview",
                          "2023-04-01-preview", "2023-06-01-preview", "2023-07-01-preview", "2023-10-01"]
MODEL_VERSION = "2023-10-01"
FEATURES = ["tags", "caption", "denseCaptions", "objects", "read", "smartCrops", "people"]
# Features whose results are words other than tags: English only ("only tags can be generated
# in non-English languages", the 2023-10-01 spec's `language` parameter).
ENGLISH_ONLY = {"caption", "denseCaptions", "objects"}
TAG_LANGUAGES = {
    "ar", "az", "bg", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fi", "fr",
    "ga", "gl", "he", "hi", "hr", "hu", "id", "it", "ja", "kk", "ko", "lt", "lv", "mk", "ms", "nb",
    "nl", "pl", "prs", "pt", "pt-BR", "pt-PT", "ro", "ru", "sk", "sl", "sr-Cyrl", "sr-Latn", "sv",
    "th", "tr", "uk", "vi", "zh", "zh-Hans", "zh-Hant",
}
# Regions where caption and denseCaptions are offered (Azure's region table for Image
# Analysis 4.0 at the time of writing); everywhere else they are "not supported in this region".
CAPTION_REGIONS = ["eastus", "westus", "westus2", "francecentral", "northeurope", "westeurope",
                   "swedencentral", "switzerlandnorth", "australiaeast", "southeastasia",
                   "koreacentral", "eastasia", "japaneast"]
REGION_NAMES = {"eastus": "East US", "westus": "West US", "westus2": "West US 2",
                "francecentral": "France Central", "northeurope": "North Europe",
                "westeurope": "West Europe", "swedencentral": "Sweden Central",
                "switzerlandnorth": "Switzerland North", "australiaeast": "Australia East",
                "southeastasia": "Southeast Asia", "koreacentral": "Korea Central",
                "eastasia": "East Asia", "japaneast": "Japan East", "uksouth": "UK South",
                "canadacentral": "Canada Central", "centralindia": "Central India",
                "brazilsouth": "Brazil South", "germanywestcentral": "Germany West Central"}

DEFAULT_CONFIG: dict[str, Any] = {
    "region": "eastus",  # caption/denseCaptions only in CAPTION_REGIONS
    "tier": "S1",  # F0: 20 calls/min and 5,000 transactions/month; S1: 20 calls/s
    "rate_limits": True,
    "retry_after_s": None,  # Retry-After sent on 429 (None: whole seconds to a free slot, as Azure)
    "caption_regions": CAPTION_REGIONS,
    "api_versions": [API_VERSION],
    "error_500_rate": 0.0,
    "error_503_rate": 0.0,
    "slow_rate": 0.0,
    "slow_s": 2.0,
    "latency_ms": 0.0,
    "fault_seed": 0,
    "log_limit": 1000,
}
_NULLABLE = {"retry_after_s"}


@dataclass
class AnalysisResult:
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Request:
    """What the HTTP layer hands over: the query, the body, who sent it."""

    params: dict[str, str]
    body: bytes
    content_type: str
    key: str | None = None
    bearer: str | None = None


class VisionBackend:
    """One emulated Azure AI Vision resource."""

    def __init__(self, config: dict | None = None, api_key: str = ""):
        self.api_key = api_key
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._initial_config = copy.deepcopy(DEFAULT_CONFIG)
        self._initial_config.update(validate_config(config or {}))
        self.images: dict[str, bytes] = {}
        self.reset()

    # ---- control ----------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.config = copy.deepcopy(self._initial_config)
            self.limiter = ratelimit.TierLimiter.for_tier(self.config["tier"])
            self.script: list[dict] = []
            self.request_log: list[dict] = []
            self.usage = _empty_usage()
            self._rng = random.Random(self.config["fault_seed"])

    def update_config(self, patch: dict) -> dict:
        with self._lock:
            self.config.update(validate_config(patch))
            if "tier" in patch:
                self.limiter = ratelimit.TierLimiter.for_tier(self.config["tier"])
            if "fault_seed" in patch:
                self._rng = random.Random(self.config["fault_seed"])
            return copy.deepcopy(self.config)

    def set_limits(self, calls: int | None = None, window_s: float | None = None,
                   monthly_transactions: int | None = None) -> None:
        """Replace the tier's numbers (tests and demos: a quota that bites in a second)."""
        with self._lock:
            tier = ratelimit.TIERS[self.config["tier"]]
            self.limiter = ratelimit.TierLimiter(
                calls if calls is not None else tier["calls"],
                window_s if window_s is not None else tier["window_s"],
                monthly_transactions if monthly_transactions is not None else tier["monthly_transactions"])

    def add_script(self, items: list[dict]) -> int:
        for item in items:
            check_script_item(item)
        with self._lock:
            for item in items:
                self.script.extend([copy.deepcopy(item)] * int(item.get("times", 1)))
            return len(self.script)

    def put_image(self, name: str, data: bytes) -> None:
        with self._lock:
            self.images[name] = data

    def requests(self, limit: int | None = None) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self.request_log[-limit:] if limit else self.request_log)

    def usage_totals(self) -> dict:
        with self._lock:
            return copy.deepcopy(self.usage)

    # ---- the operation ---------------------------------------------------------------------

    def analyze(self, request: Request) -> AnalysisResult:
        entry: dict[str, Any] = {"id": next(self._ids), "time": time.time(), "operation": "analyze",
                                 "params": dict(request.params), "status": 200}
        try:
            result = self._analyze(request, entry)
        except err.VisionError as exc:
            entry.update(status=exc.status, error_code=exc.code)
            if exc.inner_code:
                entry["inner_error_code"] = exc.inner_code
            self._count("throttled" if exc.status == 429 else "errors")
            raise
        finally:
            self._log(entry)
        return result

    def _analyze(self, request: Request, entry: dict) -> AnalysisResult:
        self.authenticate(request.key, request.bearer)
        self.check_api_version(request.params.get("api-version"))
        scripted = self._next_script()
        if scripted:
            entry["scripted"] = True
            raise_scripted_error(scripted)
        names = [f for f in request.params.get("features", "").split(",") if f.strip()]
        transactions = max(1, len(names))
        self._admit(transactions, entry)
        # Billed once admitted: a request the service then refuses (bad image, bad URL) is billed
        # too, as recorded responses show; server faults are not.
        billing = {"CSP-Billing-Usage": f"CognitiveServices.ComputerVision.Transaction={transactions}"}
        try:
            body, options, delay = self._run(request, entry, scripted)
        except err.VisionError as exc:
            if exc.status < 500:
                exc.headers.update(billing)
                self._count("transactions", transactions)
            raise
        self._count("calls")
        self._count("transactions", transactions)
        for feature in options.features:
            self._count_feature(feature)
        return AnalysisResult(body, billing, delay + float((scripted or {}).get("delay_s", 0)))

    def _run(self, request: Request, entry: dict, scripted: dict | None) -> tuple[dict, Options, float]:
        """Parameters, image, faults, then the stand-in: everything after admission."""
        options = parse_options(request.params, self.config)
        entry["features"] = options.features
        data = self._image_bytes(request, entry)
        image = images.decode(data)
        entry["image"] = {"width": image.width, "height": image.height, "format": image.format,
                          "bytes": len(data)}
        delay = self._faults()
        if scripted and "body" in scripted:
            return copy.deepcopy(scripted["body"]), options, delay
        from mocks.azure_vision.analysis import analyse_image

        return analyse_image(image, options), options, delay

    def authenticate(self, key: str | None, bearer: str | None) -> None:
        if self.api_key and key != self.api_key and bearer != self.api_key:
            raise err.Unauthorized()

    def check_api_version(self, version: str | None) -> None:
        if not version:
            raise err.ResourceNotFound()
        if version not in self.config["api_versions"]:
            raise err.ApiVersionNotSupported(version, self.config["api_versions"])

    def _admit(self, transactions: int, entry: dict) -> None:
        """Charge the call to the tier, or refuse it (429 over the rate, 403 over the month)."""
        entry["transactions"] = transactions
        if not self.config["rate_limits"]:
            return
        decision = self.limiter.admit(transactions)
        if decision.quota_exhausted:
            raise err.QuotaExceeded(self.config["tier"], days=_days_to_month_end())
        if not decision.admitted:
            value = ratelimit.retry_after_value(decision.retry_after_s, self.config["retry_after_s"])
            raise err.RateLimitExceeded(self.config["tier"], value)

    def _image_bytes(self, request: Request, entry: dict) -> bytes:
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type == "application/octet-stream":
            entry["source"] = "bytes"
            return request.body
        if content_type == "application/json":
            entry["source"] = "url"
            url = image_url(request.body)
            entry["url"] = _loggable(url)
            return self.fetch(url)
        raise err.UnsupportedMediaType(content_type or "(none)")

    def fetch(self, url: str) -> bytes:
        """An image from ``file://`` or this emulator's ``/_mock/images/``; never the network."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            try:
                return Path(unquote(parts.path)).read_bytes()
            except OSError:
                raise err.ImageUrlNotAccessible() from None
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme in ("http", "https") and loopback and parts.path.startswith("/_mock/images/"):
            with self._lock:
                data = self.images.get(unquote(parts.path[len("/_mock/images/"):]))
            if data is not None:
                return data
        raise err.ImageUrlNotAccessible()

    def _next_script(self) -> dict | None:
        with self._lock:
            return self.script.pop(0) if self.script else None

    def _faults(self) -> float:
        cfg = self.config
        with self._lock:
            draws = [self._rng.random() for _ in range(3)]
        if draws[0] < cfg["error_500_rate"]:
            raise err.InternalServerError()
        if draws[1] < cfg["error_503_rate"]:
            raise err.ServiceUnavailable()
        delay = float(cfg["latency_ms"]) / 1000
        if draws[2] < cfg["slow_rate"]:
            delay += float(cfg["slow_s"])
        return delay

    def _log(self, entry: dict) -> None:
        with self._lock:
            self.request_log.append(entry)
            del self.request_log[: max(0, len(self.request_log) - int(self.config["log_limit"]))]

    def _count(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self.usage[key] += amount

    def _count_feature(self, feature: str) -> None:
        with self._lock:
            by_feature = self.usage["transactions_by_feature"]
            by_feature[feature] = by_feature.get(feature, 0) + 1


def _empty_usage() -> dict:
    return {"calls": 0, "transactions": 0, "transactions_by_feature": {}, "throttled": 0, "errors": 0}


def _days_to_month_end() -> int:
    import calendar
    import datetime

    today = datetime.date.today()
    return calendar.monthrange(today.year, today.month)[1] - today.day + 1


def _loggable(url: str) -> str:
    """A URL without its query string: SAS tokens and signatures stay out of the log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else "(not a URL)"


# ---- request parameters ----------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    features: list[str]
    language: str = "en"
    gender_neutral: bool = False
    aspect_ratios: list[float] | None = None
    model_version: str = MODEL_VERSION


def parse_options(params: dict[str, str], config: dict) -> Options:
    """The query parameters, validated as the service does (see exceptions.py for the errors)."""
    raw = [f.strip() for f in params.get("features", "").split(",") if f.strip()]
    if not raw:
        raise err.InvalidArgument("The 'features' query parameter is required: at least one visual "
                                  f"feature must be specified ({', '.join(FEATURES)}).")
    by_lower = {f.lower(): f for f in FEATURES}
    features = []
    for name in raw:
        feature = by_lower.get(name.lower())
        if feature is None:
            raise err.NotSupportedFeature(name)
        if feature in ("caption", "denseCaptions") and config["region"] not in config["caption_regions"]:
            raise err.NotSupportedFeature(name)
        if feature not in features:
            features.append(feature)
    language = params.get("language", "en")
    if language not in TAG_LANGUAGES:
        raise err.NotSupportedLanguage(language)
    if language != "en":
        for feature in features:
            if feature in ENGLISH_ONLY:
                raise err.NotSupportedLanguage(language, feature)
    return Options(features, language, _boolean(params.get("gender-neutral-caption")),
                   _aspect_ratios(params.get("smartcrops-aspect-ratios")),
                   _model_version(params.get("model-version")))


def _boolean(value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise err.InvalidArgument(f"The value '{value}' of 'gender-neutral-caption' is not valid: "
                                  "use true or false.")
    return value.lower() == "true"


def _aspect_ratios(value: str | None) -> list[float] | None:
    if value is None:
        return None
    try:
        ratios = [float(v) for v in value.split(",")]
    except ValueError:
        raise err.InvalidArgument(f"The value '{value}' of 'smartcrops-aspect-ratios' is not a "
                                  "comma-separated list of numbers.") from None
    for r in ratios:
        if not 0.75 <= r <= 1.8:
            raise err.InvalidArgument(f"The aspect ratio {r:g} in 'smartcrops-aspect-ratios' is out of "
                                      "range: supported values are between 0.75 and 1.8 (inclusive).")
    return ratios


def _model_version(value: str | None) -> str:
    if value is None or value == "latest":
        return MODEL_VERSION
    if not re.fullmatch(r"(latest|\d{4}-\d{2}-\d{2})(-preview)?", value) or value != MODEL_VERSION:
        raise err.InvalidModelVersion(value)
    return value


def image_url(body: bytes) -> str:
    import json

    try:
        data = json.loads(body or b"null")
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str) or not data["url"]:
        raise err.InvalidArgument("The request body is not valid: send a JSON object "
                                  "{\"url\": \"<image URL>\"} or the image bytes as application/octet-stream.")
    return data["url"]


# ---- config and scripts ----------------------------------------------------------------------

def validate_config(patch: dict) -> dict:
    if not isinstance(patch, dict):
        raise ValueError("The config must be a JSON object of key: value.")
    problems = []
    for key, value in patch.items():
        default = DEFAULT_CONFIG.get(key, ...)
        if default is ...:
            problems.append(f"unknown key {key!r}")
        elif value is None and key in _NULLABLE:
            continue
        elif key in _NULLABLE:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append(f"{key!r} must be a number of seconds >= 0 or null, got {value!r}")
        elif isinstance(default, bool) != isinstance(value, bool) or not isinstance(
                value, (float, int) if isinstance(default, float) else type(default)):
            problems.append(f"{key!r} must be {type(default).__name__}, got {value!r}")
        elif key.endswith("_rate") and not 0 <= value <= 1:
            problems.append(f"{key!r} is a probability between 0 and 1, got {value!r}")
        elif key == "tier" and value not in ratelimit.TIERS:
            problems.append(f"'tier' is one of {sorted(ratelimit.TIERS)}, got {value!r}")
    if problems:
        raise ValueError("Bad config: " + "; ".join(problems) + f". Known keys: {sorted(DEFAULT_CONFIG)}.")
    return copy.deepcopy(patch)


SCRIPT_KEYS = {"times", "error", "status", "code", "message", "innererror", "headers", "body", "delay_s"}


def check_script_item(item: dict) -> None:
    if not isinstance(item, dict) or set(item) - SCRIPT_KEYS:
        raise ValueError(f"A script item is an object with keys from {sorted(SCRIPT_KEYS)}; got {item!r}.")
    if "status" in item and not 400 <= int(item["status"]) <= 599:
        raise ValueError("A scripted error's 'status' must be 400-599; for an answer use 'body'.")
    if "error" in item and item["error"] not in NAMED_ERRORS:
        raise ValueError(f"Unknown scripted error {item['error']!r}; use {sorted(NAMED_ERRORS)} or 'status'.")


NAMED_ERRORS = {
    "rate_limit": lambda: err.RateLimitExceeded("S1", "1"),
    "quota": lambda: err.QuotaExceeded("F0", 1),
    "server_error": err.InternalServerError,
    "unavailable": err.ServiceUnavailable,
}


def raise_scripted_error(item: dict) -> None:
    """'error': a named error; 'status': any error with this code/message/headers."""
    if "error" in item:
        exc = NAMED_ERRORS[item["error"]]()
        exc.headers.update(item.get("headers") or {})
        raise exc
    if "status" in item:
        raise err.VisionError(item.get("message", "Scripted error."), status=int(item["status"]),
                              code=item.get("code", str(item["status"])),
                              innererror=item.get("innererror"), headers=item.get("headers"))
