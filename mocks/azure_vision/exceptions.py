"""The Image Analysis service's errors, one class per error, each with its status and body.

Every class renders the body the service sends, ``{"error": {"code", "message", "innererror"?}}``,
and the ``x-ms-error-code`` header, so ``ImageAnalysisClient`` raises the same azure-core
exception (``HttpResponseError`` with ``e.status_code``, ``e.error.code``; a 401 is
``ClientAuthenticationError``) as against Azure::

    VisionError                      {"error": {"code", "message", "innererror"?}}
    ├── Unauthorized                 401  code "401"
    ├── ResourceNotFound             404  code "404" (wrong path, api-version missing)
    ├── InvalidRequest               400  code "InvalidRequest", innererror.code says what:
    │   ├── ApiVersionNotSupported        UnsupportedApiVersion
    │   ├── NotSupportedFeature           NotSupportedFeature (unknown feature, or not in this region)
    │   ├── NotSupportedLanguage          NotSupportedLanguage
    │   ├── InvalidArgument               BadArgument (bad parameter value)
    │   ├── InvalidModelVersion           InvalidModel
    │   ├── ImageTooLargeInBytes          (no innererror: the service sends none)
    │   ├── InvalidImageSize              InvalidImageSize (dimensions outside 50..16000)
    │   ├── InvalidImageFormat            InvalidImageFormat (unsupported format, corrupt bytes)
    │   ├── UnsupportedMediaType          UnsupportedMediaType (Content-Type)
    │   └── ImageUrlNotAccessible         (no innererror)
    ├── QuotaExceeded                403  code "403" (the F0 tier's monthly transactions used up)
    ├── RateLimitExceeded            429  code "429", Retry-After
    ├── InternalServerError          500
    └── ServiceUnavailable           503

Messages marked "verified" in README.md are the service's own words (from Azure's recorded
responses); the others are written in the service's style.
"""

from __future__ import annotations

from typing import Any


class VisionError(Exception):
    status = 500
    code = "InternalServerError"
    inner_code: str | None = None
    gateway = False

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 inner_code: str | None = None, headers: dict[str, str] | None = None,
                 innererror: dict | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if inner_code is not None:
            self.inner_code = inner_code
        self.innererror = innererror
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.innererror is not None:
            error["innererror"] = self.innererror
        elif self.inner_code:
            error["innererror"] = {"code": self.inner_code, "message": self.message}
        return {"error": error}


class Unauthorized(VisionError):
    status = 401
    code = "401"
    gateway = True  # answered by the API gateway: no x-ms-error-code, x-ms-region (recorded)

    def __init__(self):
        super().__init__(
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
            "provide a valid key for an active subscription and use a correct regional API "
            "endpoint for your resource."
        )


class ResourceNotFound(VisionError):
    status = 404
    code = "404"

    def __init__(self, message: str = "Resource not found"):
        super().__init__(message)


class InvalidRequest(VisionError):
    status = 400
    code = "InvalidRequest"


class ApiVersionNotSupported(InvalidRequest):
    inner_code = "UnsupportedApiVersion"

    def __init__(self, version: str, supported: list[str]):
        super().__init__(f"The HTTP resource that matches the request URI does not support the API "
                         f"version '{version}'. Supported versions: {', '.join(supported)}.")


class NotSupportedFeature(InvalidRequest):
    inner_code = "NotSupportedFeature"

    def __init__(self, feature: str):
        super().__init__(f"The feature '{feature}' is either misspelled or not supported in this region.")


class NotSupportedLanguage(InvalidRequest):
    inner_code = "NotSupportedLanguage"

    def __init__(self, language: str, feature: str | None = None):
        where = f" by the feature '{feature}'" if feature else ""
        super().__init__(f"The language '{language}' is not supported{where}. Only tags can be "
                         "generated in languages other than English (see https://aka.ms/cv-languages).")


class InvalidArgument(InvalidRequest):
    inner_code = "BadArgument"


class InvalidModelVersion(InvalidRequest):
    inner_code = "InvalidModel"

    def __init__(self, version: str):
        super().__init__(f"The model version '{version}' is not valid or not available. Use 'latest' "
                         "or one of the published model versions.")


class ImageTooLargeInBytes(InvalidRequest):
    def __init__(self, limit: int):
        super().__init__(f"The image size is not allowed to be zero or larger than {limit} bytes.")


class InvalidImageSize(InvalidRequest):
    inner_code = "InvalidImageSize"

    def __init__(self, low: int, high: int):
        super().__init__(f"The image dimension is not allowed to be smaller than {low} and larger than {high}.")


class InvalidImageFormat(InvalidRequest):
    inner_code = "InvalidImageFormat"

    def __init__(self, detail: str = "Input data is not a valid image."):
        super().__init__("Image format is not valid.",
                         innererror={"code": "InvalidImageFormat", "message": detail})


class UnsupportedMediaType(InvalidRequest):
    inner_code = "UnsupportedMediaType"

    def __init__(self, content_type: str):
        super().__init__(f"The content type '{content_type}' is not supported. Send the image as "
                         "application/octet-stream, or a JSON body {\"url\": ...} as application/json.")


class ImageUrlNotAccessible(InvalidRequest):
    def __init__(self):
        super().__init__("The provided image url is not accessible.")


class QuotaExceeded(VisionError):
    status = 403
    code = "403"

    def __init__(self, tier: str, days: int):
        super().__init__(
            f"Out of call volume quota for ComputerVision {tier} pricing tier. Please retry after "
            f"{days} day{'s' if days != 1 else ''}. To increase your call volume switch to a paid tier."
        )


class RateLimitExceeded(VisionError):
    status = 429
    code = "429"

    def __init__(self, tier: str, retry_after: str):
        seconds = max(1, int(float(retry_after) + 0.999))
        super().__init__(
            f"Requests to the Analyze Operation under Computer Vision API have exceeded rate limit of "
            f"your current ComputerVision {tier} pricing tier. Please retry after {seconds} "
            f"second{'s' if seconds != 1 else ''}. To increase your default rate limit, please upgrade "
            "to a paid tier.",
            headers={"Retry-After": retry_after},
        )


class InternalServerError(VisionError):
    status = 500
    code = "InternalServerError"

    def __init__(self, message: str = "An internal server error occurred."):
        super().__init__(message)


class ServiceUnavailable(VisionError):
    status = 503
    code = "ServiceUnavailable"

    def __init__(self, message: str = "The service is temporarily unable to process your request. "
                                      "Please try again later."):
        super().__init__(message)
