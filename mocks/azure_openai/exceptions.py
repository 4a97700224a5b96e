"""The Azure OpenAI service's errors, one class per error, each with its status and body.

Every class renders the service's own JSON body, so the ``openai`` SDK raises the same
exception (with the same ``code``, ``param`` and ``body``) as against the real service::

    AzureOpenAIError                      {"error": {"code", "message", "param", "type", "innererror"?}}
    ├── Unauthorized                      401  code "401"
    ├── ResourceNotFound                  404  code "404" (wrong path, missing api-version)
    ├── DeploymentNotFound                404  code "DeploymentNotFound"
    ├── ApiVersionNotSupported            400  code "BadRequest"
    ├── InvalidRequest                    400  type "invalid_request_error" (bad parameters)
    │   ├── ContextLengthExceeded         400  code "context_length_exceeded"
    │   └── OperationNotSupported         400  code "OperationNotSupported" (chat on an embeddings model)
    ├── ContentFiltered                   400  code "content_filter", innererror ResponsibleAIPolicyViolation
    ├── RateLimitExceeded                 429  code "429", retry-after(-ms) headers
    ├── InternalServerError               500
    └── ServiceUnavailable                503
"""

from __future__ import annotations

from typing import Any


class AzureOpenAIError(Exception):
    status = 500
    code: str | None = "InternalServerError"
    type: str | None = None
    param: str | None = None

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None,
                 type: str | None = None, innererror: dict | None = None,
                 headers: dict[str, str] | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if param is not None:
            self.param = param
        if type is not None:
            self.type = type
        if status is not None:
            self.status = status
        self.innererror = innererror
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code, "message": self.message, "param": self.param, "type": self.type,
        }
        if self.innererror is not None:
            error["status"] = self.status
            error["innererror"] = self.innererror
        return {"error": error}


class Unauthorized(AzureOpenAIError):
    status = 401
    code = "401"

    def __init__(self):
        super().__init__(
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
            "provide a valid key for an active subscription and use a correct regional API "
            "endpoint for your resource."
        )


class ResourceNotFound(AzureOpenAIError):
    status = 404
    code = "404"

    def __init__(self, message: str = "Resource not found"):
        super().__init__(message)


class DeploymentNotFound(AzureOpenAIError):
    status = 404
    code = "DeploymentNotFound"

    def __init__(self, deployment: str = ""):
        super().__init__(
            "The API deployment for this resource does not exist. If you created the deployment "
            "within the last 5 minutes, please wait a moment and try again."
        )
        self.deployment = deployment


class ApiVersionNotSupported(AzureOpenAIError):
    status = 400
    code = "BadRequest"

    def __init__(self):
        super().__init__("API version not supported")


class InvalidRequest(AzureOpenAIError):
    status = 400
    code = None
    type = "invalid_request_error"


class ContextLengthExceeded(InvalidRequest):
    code = "context_length_exceeded"
    param = "messages"

    def __init__(self, context_window: int, prompt_tokens: int, completion_tokens: int | None):
        if completion_tokens is None:
            message = (
                f"This model's maximum context length is {context_window} tokens. However, your "
                f"messages resulted in {prompt_tokens} tokens. Please reduce the length of the "
                "messages."
            )
        else:
            message = (
                f"This model's maximum context length is {context_window} tokens. However, you "
                f"requested {prompt_tokens + completion_tokens} tokens ({prompt_tokens} in the "
                f"messages, {completion_tokens} in the completion). Please reduce the length of "
                "the messages or completion."
            )
        super().__init__(message)


class OperationNotSupported(InvalidRequest):
    code = "OperationNotSupported"

    def __init__(self, operation: str, model: str):
        super().__init__(
            f"The {operation} operation does not work with the specified model, {model}. "
            "Please choose different model and try again. You can learn more about which models "
            "can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993."
        )


FILTER_CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def filter_results(flagged: str | None = None, severity: str = "medium") -> dict[str, dict]:
    """Azure's content_filter_results: every category safe, except ``flagged`` if given."""
    results: dict[str, dict] = {}
    for category in FILTER_CATEGORIES:
        hit = category == flagged
        results[category] = {"filtered": hit, "severity": severity if hit else "safe"}
    results["jailbreak"] = {"filtered": flagged == "jailbreak", "detected": flagged == "jailbreak"}
    return results


class ContentFiltered(AzureOpenAIError):
    status = 400
    code = "content_filter"
    param = "prompt"

    def __init__(self, category: str):
        super().__init__(
            "The response was filtered due to the prompt triggering Azure OpenAI's content "
            "management policy. Please modify your prompt and retry. To learn more about our "
            "content filtering policies please read our documentation: "
            "https://go.microsoft.com/fwlink/?linkid=2198766",
            innererror={
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": filter_results(category),
            },
        )


class RateLimitExceeded(AzureOpenAIError):
    status = 429
    code = "429"

    def __init__(self, operation: str, api_version: str, kind: str, retry_after_s: float,
                 headers: dict[str, str]):
        seconds = max(1, int(retry_after_s + 0.999))
        super().__init__(
            f"Requests to the {operation} Operation under Azure OpenAI API version {api_version} "
            f"have exceeded {kind} rate limit of your current AIServices S0 pricing tier. Please "
            f"retry after {seconds} second{'s' if seconds != 1 else ''}. Please go here: "
            "https://aka.ms/oai/quotaincrease if you would like to further increase the default "
            "rate limit.",
            headers=headers,
        )


class InternalServerError(AzureOpenAIError):
    status = 500
    code = "InternalServerError"

    def __init__(self, message: str = ""):
        super().__init__(message or "The server had an error processing your request. Sorry "
                         "about that! You can retry your request, or contact us through an Azure "
                         "support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if "
                         "you keep seeing this error.")


class ServiceUnavailable(AzureOpenAIError):
    status = 503
    code = "ServiceUnavailable"

    def __init__(self, message: str = ""):
        super().__init__(message or "The service is temporarily unable to process your request. "
                         "Please try again later.")
