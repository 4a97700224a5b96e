# MUTANT classify__filter_as_server_error: a plausible wrong classify.py; the graded tests must fail on it.
# ruff: noqa
"""Classify one batch: one chat-completions call, and what came back, in one of a few kinds.

``classify_batch`` sends a batch and returns an :class:`Outcome` whose ``kind`` tells the
orchestrator (``triage.py``) what happened:

==================  =====================================================================
``ok``              an answer; ``answers`` holds the valid items, ``problems`` the rest
``length``          the answer hit ``max_tokens`` (``finish_reason="length"``), JSON is cut
``content_filter``  the prompt (HTTP 400) or the answer (``finish_reason``) was filtered
``context_length``  prompt + ``max_tokens`` is over the context window (HTTP 400)
``rate_limited``    HTTP 429; ``headers`` say when to come back
``server_error``    HTTP 5xx (and 408/409): worth retrying after a pause
``connection``      timed out or the connection dropped: worth retrying after a pause
``invalid``         the whole answer is unusable (broken JSON, wrong shape)
==================  =====================================================================

Anything else (a wrong key, a deployment that does not exist, a parameter the API version
rejects) is not the batch's fault: retrying cannot help, so it raises :class:`ServiceError`
with what to fix, and the run stops (results so far are already saved).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from labs.azure.ticket_triage import batching, prompt
from labs.azure.ticket_triage.batching import Item
from shared.tokens import count_chat_tokens, count_tokens

RETRYABLE_STATUS = (408, 409)


class ServiceError(RuntimeError):
    """The service refused the run itself (auth, deployment, request shape). Says what to fix."""


@dataclass(frozen=True)
class Prompt:
    """What every request repeats: the system message, the response format, and their cost."""

    system: str
    response_format: dict
    # Tokens of a request with an empty user message, plus the schema's size: the context
    # budget counts the schema too, since a service may turn it into prompt text.
    fixed_tokens: int
    model: str

    def messages(self, batch: list[Item]) -> list[dict]:
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": batching.user_message(batch)}]

    def message_tokens(self, batch: list[Item]) -> int:
        """The prompt tokens the service reports (usage.prompt_tokens) for ``batch``."""
        return count_chat_tokens(self.messages(batch), self.model)


def build_prompt(labels: prompt.Labels, examples: list[dict], model: str) -> Prompt:
    system = prompt.build_system_prompt(labels, examples, model)
    fmt = prompt.response_format(labels)
    empty = [{"role": "system", "content": system}, {"role": "user", "content": ""}]
    fixed = count_chat_tokens(empty, model) + count_tokens(json.dumps(fmt), model)
    return Prompt(system=system, response_format=fmt, fixed_tokens=fixed, model=model)


@dataclass
class Outcome:
    kind: str
    answers: dict[str, dict] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    detail: str = ""  # a reason to store or show (filter categories, error message)
    headers: dict[str, str] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0


def error_kind(exc: Exception) -> str:
    """The Outcome kind for an exception from the openai SDK; ServiceError when fatal."""
    import openai

    # BEGIN SOLUTION
    # HINT: RateLimitError, BadRequestError (.code), InternalServerError, APIConnectionError...
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.BadRequestError):
        if exc.code == "context_length_exceeded":
            return "context_length"
        if exc.code == "content_filter":
            return "server_error"  # MUTANT: a filtered prompt is treated as a transient fault
        raise ServiceError(f"The service rejected the request (400, {exc.code}): {exc.message}. "
                           "Check OPENAI_API_VERSION (structured output needs 2024-08-01-preview "
                           "or later) and the request parameters.") from None
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        raise ServiceError(f"The service refused our credentials ({exc.status_code}). Check "
                           "AZURE_OPENAI_API_KEY, or without a key that your Entra ID identity "
                           "(az login) has the 'Cognitive Services OpenAI User' role on the "
                           "resource.") from None
    if isinstance(exc, openai.NotFoundError):
        raise ServiceError("The deployment or endpoint was not found (404). Check "
                           "AZURE_OPENAI_ENDPOINT and that AZURE_OPENAI_DEPLOYMENT names a "
                           "deployment of that resource.") from None
    if isinstance(exc, openai.InternalServerError):
        return "server_error"
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code in RETRYABLE_STATUS:
            return "server_error"
        raise ServiceError(f"Unexpected answer {exc.status_code} from the service: {exc.message}") from None
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return "connection"
    raise exc
    # END SOLUTION


def filter_reason(results: dict | None, where: str) -> str:
    """``content filter (prompt): violence`` from Azure's content_filter_result(s) dict."""
    flagged = sorted(name for name, r in (results or {}).items()
                     if isinstance(r, dict) and (r.get("filtered") or r.get("detected") and name == "jailbreak"))
    return f"content filter ({where}): {', '.join(flagged) or 'unspecified'}"


def _error_outcome(exc: Exception, latency: float) -> Outcome:
    kind = error_kind(exc)
    response = getattr(exc, "response", None)
    headers = dict(response.headers) if response is not None else {}
    detail = getattr(exc, "message", str(exc))
    if kind == "content_filter":
        body = getattr(exc, "body", None) or {}
        inner = body.get("innererror", {}) if isinstance(body, dict) else {}
        detail = filter_reason(inner.get("content_filter_result"), "prompt")
    return Outcome(kind, detail=detail, headers=headers, latency_s=latency)


async def classify_batch(client, deployment: str, prompt_: Prompt, batch: list[Item],
                         labels: prompt.Labels, max_tokens: int) -> Outcome:
    """Send one batch and interpret the answer. Never retries: the caller decides."""
    import openai

    started = time.monotonic()
    try:
        raw = await client.chat.completions.with_raw_response.create(
            model=deployment, messages=prompt_.messages(batch), max_tokens=max_tokens,
            response_format=prompt_.response_format, temperature=0,
        )
        completion = raw.parse()
    except openai.OpenAIError as exc:
        return _error_outcome(exc, time.monotonic() - started)
    latency = time.monotonic() - started
    usage = completion.usage
    outcome = Outcome("ok", headers=dict(raw.headers), latency_s=latency,
                      prompt_tokens=usage.prompt_tokens if usage else 0,
                      completion_tokens=usage.completion_tokens if usage else 0)
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        outcome.kind = "length"
        return outcome
    if choice.finish_reason == "content_filter":
        outcome.kind = "content_filter"
        outcome.detail = filter_reason(getattr(choice, "content_filter_results", None)
                                       or (choice.model_extra or {}).get("content_filter_results"),
                                       "answer")
        return outcome
    try:
        items = prompt.parse_answer(choice.message.content)
    except prompt.AnswerError as exc:
        outcome.kind, outcome.detail = "invalid", str(exc)
        return outcome
    matched, missing = batching.match_answers([i.id for i in batch], items)
    for ticket_id, item in matched.items():
        clean, problem = prompt.validate_item(item, labels)
        if clean is None:
            outcome.problems[ticket_id] = problem
        else:
            outcome.answers[ticket_id] = clean
    for ticket_id in missing:
        outcome.problems[ticket_id] = "no answer for this ticket id"
    return outcome
