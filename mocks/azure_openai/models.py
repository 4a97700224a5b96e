"""State and logic of the Azure OpenAI emulator: :class:`AzureOpenAIBackend`.

The backend knows nothing about HTTP. ``responses.py`` turns requests into calls on it and its
results (or :mod:`exceptions`) into the service's wire format. The backend holds:

* deployments (from ``deployments.json``, a config file, or the control API),
* one sliding-window rate limiter per deployment (``ratelimit.py``),
* the run-time config (faults, latency, blocked terms, rate-limit window...),
* a queue of scripted next responses/errors, a bounded request log, usage totals.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mocks.azure_openai import exceptions as err
from mocks.azure_openai import standin
from mocks.azure_openai.ratelimit import SlidingWindowLimiter, rpm_for

DEFAULT_DEPLOYMENTS_FILE = Path(__file__).with_name("deployments.json")
DEFAULT_API_VERSION = "2024-10-21"
API_VERSIONS = [
    "2023-05-15", "2023-06-01-preview", "2023-12-01-preview", "2024-02-01",
    "2024-02-15-preview", "2024-03-01-preview", "2024-04-01-preview", "2024-05-01-preview",
    "2024-06-01", "2024-07-01-preview", "2024-08-01-preview", "2024-09-01-preview",
    "2024-10-01-preview", "2024-10-21", "2024-12-01-preview", "2025-01-01-preview",
    "2025-02-01-preview", "2025-03-01-preview", "2025-04-01-preview",
]
V1_API_VERSIONS = ["v1", "preview", "latest"]

DEFAULT_CONFIG: dict[str, Any] = {
    "api_versions": API_VERSIONS,
    "rate_limits": True,  # enforce each deployment's TPM/RPM
    "window_s": 10.0,  # sliding window over which the per-minute quotas are enforced
    "inconsistent_headers": False,  # rate-limit headers like the real service on a bad day
    "default_max_tokens_estimate": 0,  # admission estimate's output part when max_tokens is unset
    "error_500_rate": 0.0,  # probability of a 500 per model request
    "error_503_rate": 0.0,
    "drop_rate": 0.0,  # probability the connection is dropped mid-response
    "slow_rate": 0.0,  # probability a response is delayed by slow_s
    "slow_s": 2.0,
    "latency_ms": 0.0,  # added to every model response
    "latency_per_token_ms": 0.0,  # per output token (and between stream chunks)
    "fault_seed": 0,  # faults are drawn from a seeded generator: runs are reproducible
    "blocked_terms": [{"term": "ignore all previous instructions", "category": "jailbreak"}],
    "log_limit": 1000,  # request-log entries kept
}

EMBEDDING_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072,
                        "text-embedding-ada-002": 1536}


@dataclass
class Deployment:
    name: str
    model: str
    context_window: int
    max_output_tokens: int
    tpm: int | None = None
    kind: str = "chat"  # "chat" or "embeddings"
    model_version: str = ""
    dimensions: int | None = None

    @property
    def rpm(self) -> int | None:
        return rpm_for(self.tpm) if self.tpm else None

    def to_dict(self) -> dict:
        return {**asdict(self), "rpm": self.rpm}

    @classmethod
    def from_dict(cls, data: dict) -> Deployment:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known - {"rpm"}
        if unknown or "name" not in data or "model" not in data:
            raise ValueError(
                f"A deployment needs 'name' and 'model' and may have {sorted(known)}; "
                f"got {sorted(data)}."
            )
        values = {k: v for k, v in data.items() if k in known}
        if values.get("kind", "embeddings" if values["model"].startswith("text-embedding")
                      else "chat") == "embeddings":
            values.setdefault("kind", "embeddings")
            values.setdefault("dimensions", EMBEDDING_DIMENSIONS.get(values["model"], 1536))
            values.setdefault("max_output_tokens", 0)
        values.setdefault("context_window", 128000)
        values.setdefault("max_output_tokens", 16384)
        return cls(**values)


def load_deployments(source: str | Path | dict | list | None = None) -> list[Deployment]:
    """Deployments from a JSON file, a dict with a 'deployments' list, or a list."""
    data: Any = source
    if source is None or isinstance(source, (str, Path)):
        data = json.loads(Path(source or DEFAULT_DEPLOYMENTS_FILE).read_text())
    if isinstance(data, dict):
        data = data.get("deployments", [])
    return [Deployment.from_dict(d) for d in data]


@dataclass
class ChatResult:
    """What the model answers; responses.py renders it as JSON or as server-sent events."""

    id: str
    model: str
    created: int
    choices: list[tuple[str, str]]  # (content, finish_reason) per choice
    prompt_tokens: int
    completion_tokens: int
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before the first byte
    per_token_s: float = 0.0  # between stream chunks
    drop: bool = False  # close the connection mid-response
    stream: bool = False
    include_usage: bool = False
    system_fingerprint: str = "fp_labkit"


@dataclass
class EmbeddingsResult:
    model: str
    vectors: list[list[float]]
    prompt_tokens: int
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False


class AzureOpenAIBackend:
    """One emulated Azure OpenAI resource."""

    def __init__(self, config: dict | str | Path | None = None, api_key: str = ""):
        self.api_key = api_key
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._initial_config, self._initial_deployments = self._read_config(config)
        self.reset()

    # ---- set-up and control ----------------------------------------------------------------

    @staticmethod
    def _read_config(config) -> tuple[dict, list[Deployment]]:
        """A config file/dict may hold 'deployments' plus any keys of DEFAULT_CONFIG."""
        data: dict = {}
        if isinstance(config, (str, Path)):
            data = json.loads(Path(config).read_text())
        elif isinstance(config, dict):
            data = copy.deepcopy(config)
        settings = copy.deepcopy(DEFAULT_CONFIG)
        overrides = {k: v for k, v in data.items() if k not in ("deployments", "_comment")}
        settings.update(validate_config(overrides))
        deployments = load_deployments(data if "deployments" in data else None)
        return settings, deployments

    def reset(self) -> None:
        with self._lock:
            self.config = copy.deepcopy(self._initial_config)
            self.deployments: dict[str, Deployment] = {}
            self.limiters: dict[str, SlidingWindowLimiter] = {}
            for d in self._initial_deployments:
                self.add_deployment(copy.deepcopy(d))
            self.script: list[dict] = []
            self.request_log: list[dict] = []
            self.usage: dict[str, dict[str, int]] = {}
            self._rng = random.Random(self.config["fault_seed"])
            self._throttle_count = 0

    def update_config(self, patch: dict) -> dict:
        with self._lock:
            self.config.update(validate_config(patch))
            if "window_s" in patch:
                for limiter in self.limiters.values():
                    limiter.window_s = float(self.config["window_s"])
                    limiter.reset()
            if "fault_seed" in patch:
                self._rng = random.Random(self.config["fault_seed"])
            return copy.deepcopy(self.config)

    def add_deployment(self, deployment: Deployment | dict) -> Deployment:
        if isinstance(deployment, dict):
            deployment = Deployment.from_dict(deployment)
        with self._lock:
            self.deployments[deployment.name] = deployment
            self.limiters[deployment.name] = SlidingWindowLimiter(
                deployment.tpm, window_s=self.config["window_s"])
            return deployment

    def remove_deployment(self, name: str) -> None:
        with self._lock:
            self.deployments.pop(name, None)
            self.limiters.pop(name, None)

    def add_script(self, items: list[dict]) -> int:
        for item in items:
            check_script_item(item)
        with self._lock:
            for item in items:
                self.script.extend([copy.deepcopy(item)] * int(item.get("times", 1)))
            return len(self.script)

    def usage_totals(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return copy.deepcopy(self.usage)

    def requests(self, deployment: str | None = None, limit: int | None = None) -> list[dict]:
        with self._lock:
            entries = [e for e in self.request_log if deployment in (None, e["deployment"])]
            return copy.deepcopy(entries[-limit:] if limit else entries)

    # ---- checks every data-plane request goes through --------------------------------------

    def authenticate(self, api_key: str | None, bearer: str | None) -> None:
        if not self.api_key:
            return
        if api_key != self.api_key and bearer != self.api_key:
            raise err.Unauthorized()

    def check_api_version(self, version: str | None, v1: bool) -> None:
        if v1:
            if version not in (None, *V1_API_VERSIONS):
                raise err.ApiVersionNotSupported()
            return
        if not version:
            raise err.ResourceNotFound()
        if version not in self.config["api_versions"]:
            raise err.ApiVersionNotSupported()

    def deployment(self, name: str | None, kind: str) -> Deployment:
        with self._lock:
            found = self.deployments.get(name or "")
        if found is None:
            raise err.DeploymentNotFound(name or "")
        if found.kind != kind:
            operation = "chatCompletion" if kind == "chat" else "embeddings"
            raise err.OperationNotSupported(operation, found.model)
        return found

    # ---- operations ------------------------------------------------------------------------

    def chat_completions(self, name: str | None, body: dict, api_version: str = "v1") -> ChatResult:
        return self._logged("chat_completions", name, body, self._chat, api_version)

    def embeddings(self, name: str | None, body: dict, api_version: str = "v1") -> EmbeddingsResult:
        return self._logged("embeddings", name, body, self._embeddings, api_version)

    def _logged(self, operation: str, name: str | None, body: dict, handler, api_version: str):
        entry = {"id": next(self._ids), "time": time.time(), "operation": operation,
                 "deployment": name, "api_version": api_version, "body": body, "status": 200}
        try:
            result = handler(name, body, api_version, entry)
        except err.AzureOpenAIError as exc:
            entry.update(status=exc.status, error_code=exc.code)
            self._count(name, "throttled" if exc.status == 429 else "errors", 1)
            raise
        finally:
            self._log(entry)
        return result

    def _log(self, entry: dict) -> None:
        with self._lock:
            self.request_log.append(entry)
            del self.request_log[: max(0, len(self.request_log) - int(self.config["log_limit"]))]

    def _count(self, name: str | None, key: str, amount: int) -> None:
        if name is None or name not in self.deployments:
            return
        with self._lock:
            totals = self.usage.setdefault(name, dict.fromkeys(
                ("requests", "prompt_tokens", "completion_tokens", "total_tokens",
                 "admitted_estimate_tokens", "throttled", "errors"), 0))
            totals[key] += amount

    def _next_script(self, name: str | None) -> dict | None:
        with self._lock:
            for i, item in enumerate(self.script):
                if item.get("deployment") in (None, name):
                    return self.script.pop(i)
        return None

    def _chat(self, name, body, api_version, entry) -> ChatResult:
        dep = self.deployment(name, "chat")
        scripted = self._next_script(name)
        if scripted:
            entry["scripted"] = True
            raise_scripted_error(scripted)
        messages = validate_chat(body)
        from shared.tokens import count_chat_tokens, count_tokens, truncate_to_tokens

        prompt_tokens = count_chat_tokens(messages, dep.model)
        n = int(body.get("n") or 1)
        max_tokens = output_limit(body, dep)
        if prompt_tokens + (max_tokens or 0) > dep.context_window:
            raise err.ContextLengthExceeded(dep.context_window, prompt_tokens, max_tokens)
        estimate = prompt_tokens + n * (max_tokens or int(self.config["default_max_tokens_estimate"]))
        headers = self._admit(dep, estimate, "ChatCompletions_Create", api_version)
        delay, drop = self._faults(scripted)
        self._filter_prompt(messages)
        if scripted and "content" in scripted:
            text, finish = str(scripted["content"]), scripted.get("finish_reason", "stop")
        else:
            text, finish = standin.reply(messages, body.get("response_format")), "stop"
        text, finish = apply_stop(text, finish, body.get("stop"))
        limit = max_tokens if max_tokens is not None else dep.max_output_tokens
        if count_tokens(text, dep.model) > limit:
            text, finish = truncate_to_tokens(text, limit, dep.model), "length"
        completion_tokens = n * count_tokens(text, dep.model)
        self._count(name, "requests", 1)
        self._count(name, "admitted_estimate_tokens", estimate)
        self._count(name, "prompt_tokens", prompt_tokens)
        self._count(name, "completion_tokens", completion_tokens)
        self._count(name, "total_tokens", prompt_tokens + completion_tokens)
        entry.update(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                     estimate=estimate, finish_reason=finish)
        per_token = float(self.config["latency_per_token_ms"]) / 1000
        stream = bool(body.get("stream"))
        return ChatResult(
            id=f"chatcmpl-labkit{entry['id']:012d}", model=model_name(dep), created=int(time.time()),
            choices=[(text, finish)] * n, prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens, headers=headers,
            delay_s=delay + (0 if stream else per_token * completion_tokens),
            per_token_s=per_token if stream else 0.0, drop=drop, stream=stream,
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        )

    def _embeddings(self, name, body, api_version, entry) -> EmbeddingsResult:
        dep = self.deployment(name, "embeddings")
        scripted = self._next_script(name)
        if scripted:
            entry["scripted"] = True
            raise_scripted_error(scripted)
        texts = embedding_inputs(body, dep)
        from shared.tokens import count_tokens

        counts = [count_tokens(t, dep.model) for t in texts]
        for count in counts:
            if count > dep.context_window:
                raise err.InvalidRequest(
                    f"This model's maximum context length is {dep.context_window} tokens, however "
                    f"you requested {count} tokens ({count} in your prompt; 0 for the completion). "
                    "Please reduce your prompt; or completion length.", param="input")
        dimensions = embedding_dimensions(body, dep)
        headers = self._admit(dep, sum(counts), "Embeddings_Create", api_version)
        delay, drop = self._faults(scripted)
        self._count(name, "requests", 1)
        self._count(name, "admitted_estimate_tokens", sum(counts))
        self._count(name, "prompt_tokens", sum(counts))
        self._count(name, "total_tokens", sum(counts))
        entry.update(prompt_tokens=sum(counts))
        return EmbeddingsResult(model=dep.model, vectors=[standin.embedding(t, dimensions) for t in texts],
                                prompt_tokens=sum(counts), headers=headers, delay_s=delay, drop=drop)

    def _admit(self, dep: Deployment, estimate: int, operation: str, api_version: str) -> dict:
        from mocks.azure_openai import ratelimit

        limiter = self.limiters[dep.name]
        if not self.config["rate_limits"] or limiter.unlimited:
            return {}
        decision = limiter.admit(estimate)
        headers = ratelimit.remaining_headers(decision.remaining_tokens, decision.remaining_requests)
        if decision.admitted:
            if self.config["inconsistent_headers"]:
                headers = ratelimit.inconsistent(headers, next(self._ids), dep.tpm)
            return headers
        headers.update(ratelimit.retry_headers(decision.retry_after_s))
        if self.config["inconsistent_headers"]:
            with self._lock:
                self._throttle_count += 1
                headers = ratelimit.inconsistent(headers, self._throttle_count - 1, dep.tpm)
        kind = "token" if decision.kind == "token" else "call"
        raise err.RateLimitExceeded(operation, api_version, kind, decision.retry_after_s, headers)

    def _faults(self, scripted: dict | None) -> tuple[float, bool]:
        """(delay in seconds, drop the connection?), after raising a drawn 500/503."""
        cfg = self.config
        with self._lock:
            draws = [self._rng.random() for _ in range(4)]
        if draws[0] < cfg["error_500_rate"]:
            raise err.InternalServerError()
        if draws[1] < cfg["error_503_rate"]:
            raise err.ServiceUnavailable()
        delay = float(cfg["latency_ms"]) / 1000
        if draws[2] < cfg["slow_rate"]:
            delay += float(cfg["slow_s"])
        drop = draws[3] < cfg["drop_rate"]
        if scripted:
            delay += float(scripted.get("delay_s", 0))
            drop = drop or bool(scripted.get("drop"))
        return delay, drop

    def _filter_prompt(self, messages: list[dict]) -> None:
        from shared.tokens import content_text

        text = " ".join(content_text(m.get("content")) for m in messages).lower()
        for blocked in self.config["blocked_terms"]:
            term, category = blocked_term(blocked)
            if term and term.lower() in text:
                raise err.ContentFiltered(category)


# ---- request validation, shared by both operations -------------------------------------------

CONFIG_TYPES = {k: (float, int) if isinstance(v, float) else type(v) for k, v in DEFAULT_CONFIG.items()}


def validate_config(patch: dict) -> dict:
    if not isinstance(patch, dict):
        raise ValueError("The config must be a JSON object of key: value.")
    problems = []
    for key, value in patch.items():
        if key not in DEFAULT_CONFIG:
            problems.append(f"unknown key {key!r}")
        elif not isinstance(value, CONFIG_TYPES[key]) or isinstance(value, bool) is not isinstance(
                DEFAULT_CONFIG[key], bool):
            problems.append(f"{key!r} must be {type(DEFAULT_CONFIG[key]).__name__}, got {value!r}")
        elif key.endswith("_rate") and not 0 <= value <= 1:
            problems.append(f"{key!r} is a probability between 0 and 1, got {value!r}")
    if problems:
        raise ValueError("Bad config: " + "; ".join(problems) + f". Known keys: {sorted(DEFAULT_CONFIG)}.")
    return copy.deepcopy(patch)


SCRIPT_KEYS = {"deployment", "times", "error", "status", "code", "message", "param", "headers",
               "innererror", "category", "content", "finish_reason", "delay_s", "drop"}


def check_script_item(item: dict) -> None:
    if not isinstance(item, dict) or set(item) - SCRIPT_KEYS:
        raise ValueError(f"A script item is an object with keys from {sorted(SCRIPT_KEYS)}; got {item!r}.")
    if "status" in item and not 400 <= int(item["status"]) <= 599:
        raise ValueError("A scripted error's 'status' must be 400-599; for a response use 'content'.")


def raise_scripted_error(item: dict) -> None:
    """A script item with 'status' (or 'error': 'rate_limit'|'server_error'|...) is an error."""
    named = {
        "rate_limit": (429, "429", "Rate limit is exceeded. Try again in 1 seconds."),
        "server_error": (500, "InternalServerError", err.InternalServerError().message),
        "unavailable": (503, "ServiceUnavailable", err.ServiceUnavailable().message),
    }
    if "error" in item:
        if item["error"] == "content_filter":
            raise err.ContentFiltered(item.get("category", "violence"))
        if item["error"] not in named:
            raise ValueError(f"Unknown scripted error {item['error']!r}; use {sorted(named)} or 'status'.")
        status, code, message = named[item["error"]]
        item = {"status": status, "code": code, "message": message,
                "headers": {"retry-after-ms": "1000", "retry-after": "1"} if status == 429 else {},
                **{k: v for k, v in item.items() if k != "error"}}
    if "status" in item:
        raise err.AzureOpenAIError(
            item.get("message", "Scripted error."), status=int(item["status"]),
            code=item.get("code", str(item["status"])), param=item.get("param"),
            innererror=item.get("innererror"), headers=item.get("headers"),
        )


def validate_chat(body: dict) -> list[dict]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise err.InvalidRequest("'messages' is a required property and must be a non-empty array.",
                                 param="messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user",
                                                            "assistant", "tool", "function"):
            raise err.InvalidRequest(f"Invalid value for 'messages[{i}].role'.", param=f"messages[{i}].role")
    n = body.get("n", 1)
    if n is not None and (not isinstance(n, int) or not 1 <= n <= 128):
        raise err.InvalidRequest(f"{n!r} is not valid for 'n': it must be an integer 1-128.", param="n")
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= float(temperature) <= 2:
        raise err.InvalidRequest(f"{temperature} is greater than the maximum of 2 - 'temperature'",
                                 param="temperature")
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        if not isinstance((fmt.get("json_schema") or {}).get("schema"), dict):
            raise err.InvalidRequest("Missing required parameter: 'response_format.json_schema.schema'.",
                                     param="response_format")
    return messages


def output_limit(body: dict, dep: Deployment) -> int | None:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    if value is None:
        return None
    param = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    if not isinstance(value, int) or value < 1:
        raise err.InvalidRequest(f"Invalid '{param}': integer below minimum value. Expected a value "
                                 f">= 1, but got {value} instead.", param=param)
    if value > dep.max_output_tokens:
        raise err.InvalidRequest(
            f"{param} is too large: {value}. This model supports at most {dep.max_output_tokens} "
            f"completion tokens, whereas you provided {value}.", param=param)
    return value


def apply_stop(text: str, finish: str, stop) -> tuple[str, str]:
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    cuts = [text.find(s) for s in stops if s and s in text]
    return (text[: min(cuts)], "stop") if cuts else (text, finish)


def embedding_inputs(body: dict, dep: Deployment) -> list[str]:
    from shared.tokens import encoding_for

    raw = body.get("input")
    if raw is None or raw == "" or raw == []:
        raise err.InvalidRequest("'input' is a required property and must not be empty.", param="input")
    if isinstance(raw, str):
        return [raw]
    if all(isinstance(x, int) for x in raw):
        return [encoding_for(dep.model).decode(raw)]
    if len(raw) > 2048:
        raise err.InvalidRequest("Too many inputs. The max number of inputs is 2048.", param="input")
    texts = []
    for x in raw:
        texts.append(encoding_for(dep.model).decode(x) if isinstance(x, list) else str(x))
    return texts


def embedding_dimensions(body: dict, dep: Deployment) -> int:
    asked = body.get("dimensions")
    if asked is None:
        return dep.dimensions or 1536
    if not dep.model.startswith("text-embedding-3"):
        raise err.InvalidRequest("This model does not support specifying dimensions.", param="dimensions")
    if not isinstance(asked, int) or not 1 <= asked <= (dep.dimensions or 1536):
        raise err.InvalidRequest(f"Invalid value for 'dimensions': {asked!r}; it must be 1-"
                                 f"{dep.dimensions}.", param="dimensions")
    return asked


def blocked_term(entry) -> tuple[str, str]:
    if isinstance(entry, str):
        return entry, "violence"
    return str(entry.get("term", "")), str(entry.get("category", "violence"))


def model_name(dep: Deployment) -> str:
    return f"{dep.model}-{dep.model_version}" if dep.model_version and dep.model_version[0] == "2" else dep.model
