"""The pytest plugin, used the way a user would: the README's sample test in a test project."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def readme_sample() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- sample-test -->\s*```python\n(.*?)```", readme, re.S)
    assert found, "the README has no sample test"
    return found.group(1)


def test_readme_sample_passes_with_the_plugin(pytester: pytest.Pytester):
    pytester.makepyfile(test_sample=readme_sample())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_fixtures_isolate_tests_and_control_time(pytester: pytest.Pytester):
    pytester.makepyfile(test_isolation='''
import httpx
import pytest

def test_first(idp):
    idp.create_user("bob@example.test", password="Correct-Horse-9")

def test_second_starts_empty(idp):
    app = idp.create_app()
    with pytest.raises(AssertionError, match="session.invalid_credentials"):
        idp.sign_in(app, "bob@example.test", password="Correct-Horse-9")

def test_clock_expires_refresh_tokens(idp, idp_mailbox):
    app = idp.create_app()
    idp.create_user("carol@example.test")
    first = idp.sign_in(app, "carol@example.test")
    assert idp_mailbox.last_code("carol@example.test").isdigit()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    auth = (app["id"], app["secret"])
    assert httpx.post(idp.issuer + "/token", data=refresh, auth=auth).status_code == 200
    idp.advance_clock(3600 * 24 * 15)
    expired = httpx.post(idp.issuer + "/token", data=refresh, auth=auth)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_fresh_virtual_environment_runs_the_readme_sample(tmp_path: Path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(ROOT), "pytest"], check=True, timeout=600)
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_sample.py").write_text(readme_sample())
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
