"""Headless Chromium through Selenium for the tests of the pages it2en makes, or a skip
naming what is missing (CI installs Chromium and its driver from Debian's packages)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest


def headless_chromium(downloads: Path | None = None, size: tuple[int, int] = (1000, 1400)) -> Any:
    """A headless Chromium of window ``size``; files it downloads land in ``downloads``."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("no Chromium and chromedriver here (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    if downloads is not None:
        prefs = {"download.default_directory": str(downloads), "download.prompt_for_download": False}
        options.add_experimental_option("prefs", prefs)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_window_size(*size)
    return browser
