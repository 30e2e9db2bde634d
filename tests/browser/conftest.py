"""Playwright on Debian's Chromium (no browser download), against pytest-django's live server."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls in test bodies are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# Screenshots go under var/ so a test run leaves the checkout clean; `SCREENSHOTS_DIR=docs/screenshots make test`
# refreshes the ones the README shows.
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCREENSHOTS = os.path.join(ROOT, os.environ.get("SCREENSHOTS_DIR") or os.path.join("var", "screenshots"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sign_in(live_server):
    def sign_in(page, username: str, password: str = "pw-for-tests-1") -> None:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

    return sign_in


@pytest.fixture
def screenshot_path():
    def path(name: str) -> str:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        return os.path.join(SCREENSHOTS, name)

    return path
