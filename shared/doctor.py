"""``labkit doctor``: is this machine ready to run the labs, and if not, what to fix."""

from __future__ import annotations

import importlib.metadata
import sys

import typer

from shared.config import ALL_SETTINGS, SERVICES, ConfigError, load_settings

PACKAGES = [
    ("openai", "Azure OpenAI client"), ("azure-ai-vision-imageanalysis", "Azure AI Vision client"),
    ("azure-identity", "Entra ID auth"), ("google-cloud-aiplatform", "Vertex AI client"),
    ("google-cloud-storage", "Cloud Storage client"), ("tensorflow-cpu|tensorflow", "TensorFlow"),
    ("keras-tuner", "tuning"), ("tensorboard", "needed by keras-tuner"), ("mlflow", "tracking"),
    ("tiktoken", "token counting"), ("scikit-learn", "baseline and metrics"),
]


def _check(ok: bool, what: str, fix: str = "") -> bool:
    mark = typer.style("ok  ", fg=typer.colors.GREEN) if ok else typer.style("FAIL", fg=typer.colors.RED)
    typer.echo(f"  {mark} {what}" + ("" if ok or not fix else f"\n         fix: {fix}"))
    return ok


def _version(spec: str) -> str | None:
    for name in spec.split("|"):
        try:
            return f"{name} {importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def run_doctor(target: str | None) -> int:
    """Print one line per check; return 0 when everything needed for TARGET is ready."""
    ok = True
    typer.echo("Python and packages")
    ok &= _check(sys.version_info >= (3, 11), f"Python {sys.version.split()[0]}",
                 "install Python 3.11 or newer")
    for spec, why in PACKAGES:
        found = _version(spec)
        ok &= _check(found is not None, f"{found or spec} ({why})",
                     "run 'make setup' (or: pip install -e .) in the kit's folder")

    typer.echo("Tokenizer")
    from shared import tokens

    cached = [n for n in tokens.ENCODINGS if tokens.is_cached(n)]
    ok &= _check(len(cached) == len(tokens.ENCODINGS),
                 f"tiktoken encodings cached: {', '.join(cached) or 'none'} in {tokens.cache_dir()}",
                 "run 'python -m shared.tokens seed' once with access to the package index")

    typer.echo("Target and cloud settings")
    try:
        settings = load_settings(target)
    except ConfigError as exc:
        _check(False, "settings", str(exc))
        return 1
    _check(True, f"target: {settings.target}"
           + (" (local emulators; no cloud account needed)" if settings.target == "mock" else ""))
    known = {s.env for s in ALL_SETTINGS}
    present = [n for n in settings.present() if n in known]
    typer.echo(f"  cloud settings present (names only): {', '.join(present) or 'none'}")
    if settings.target == "cloud":
        for service in ("azure_openai", "vertex"):
            missing = [s.env for s in settings.missing(service)]
            ok &= _check(not missing, f"{service}: " + ("ready" if not missing else "missing " + ", ".join(missing)),
                         "export " + " ".join(f"{m}=..." for m in missing) + " (or put them in .env)")
        if "AZURE_OPENAI_API_KEY" not in settings.present():
            typer.echo("  note: no AZURE_OPENAI_API_KEY, so Azure OpenAI will use Entra ID (az login).")
    typer.echo("ready" if ok else "not ready: fix the lines marked FAIL above")
    return 0 if ok else 1


__all__ = ["run_doctor", "SERVICES"]
