"""The labkit command line as a user runs it: the real console script in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LABKIT = str(Path(sys.executable).with_name("labkit"))
SECRET = "sk-never-print-me-0123456789"


def labkit(*args, env=None, cwd=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([LABKIT, *args], capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=120)


def test_help_explains_itself():
    result = labkit("--help")
    assert result.returncode == 0
    for word in ("doctor", "list", "data", "run", "mock", "--target"[2:]):
        assert word in result.stdout


def test_help_does_not_import_tensorflow():
    code = ("import sys; sys.argv=['labkit','--help']\n"
            "from shared import cli\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('tensorflow', 'openai', 'google.cloud.aiplatform', 'mlflow') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out, out[-500:]


def test_list_shows_both_labs():
    result = labkit("list")
    assert result.returncode == 0
    assert "azure/ticket_triage" in result.stdout and "gcp/ticket_triage" in result.stdout


def test_doctor_is_ready_in_mock_mode(tmp_path):
    result = labkit("doctor", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "target: mock" in result.stdout and "ready" in result.stdout


def test_doctor_cloud_names_missing_settings_and_never_values(tmp_path):
    result = labkit("doctor", "--target", "cloud", cwd=tmp_path,
                    env={"AZURE_OPENAI_API_KEY": SECRET, "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"})
    assert result.returncode != 0
    assert "AZURE_OPENAI_DEPLOYMENT" in result.stdout and "GOOGLE_CLOUD_PROJECT" in result.stdout
    assert "AZURE_OPENAI_API_KEY" in result.stdout  # the name is shown ...
    assert SECRET not in result.stdout + result.stderr  # ... never the value


def test_doctor_reports_a_malformed_dotenv(tmp_path):
    (tmp_path / ".env").write_text("GOOGLE_CLOUD_PROJECT\n")
    result = labkit("doctor", cwd=tmp_path)
    assert result.returncode != 0 and "GOOGLE_CLOUD_PROJECT" in result.stdout + result.stderr


def test_unknown_target_is_refused(tmp_path):
    result = labkit("doctor", "--target", "aws", cwd=tmp_path)
    assert result.returncode != 0 and "--target mock" in result.stdout + result.stderr


def test_data_tickets_writes_splits(tmp_path):
    result = labkit("data", "tickets", "--out", str(tmp_path / "t"), "--seed", "3")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "t" / "test.jsonl").read_text().splitlines()
    assert len(lines) == 2000 and json.loads(lines[0])["id"]
    assert (tmp_path / "t" / "stream.jsonl").exists()


@pytest.mark.parametrize("args,expected", [
    (("data", "tickets", "--out", "/proc/forbidden"), "cannot write"),
    (("data", "tickets", "--out", "x", "--format", "xml"), "jsonl or csv"),
    (("run", "nowhere/lab"), "Known labs"),
])
def test_bad_input_gets_a_clear_error(args, expected, tmp_path):
    result = labkit(*args, cwd=tmp_path)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
