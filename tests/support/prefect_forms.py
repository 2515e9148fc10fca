"""Driving Prefect's UI forms with Playwright, as a person would: the deployment's Run form and the Resume form.

Chromium is Debian's (/usr/bin/chromium, run with --no-sandbox): Playwright's own browser download does
not work here. Fields are found by their label, the way the Run form shows the facts schema.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def sync_playwright() -> Any:
    """Playwright's sync API, or a failure naming what is missing (scripts/system-packages.sh installs it)."""
    missing = []
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
        start = None
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if missing:
        pytest.fail("the real-browser test needs " + " and ".join(missing))
    return start


def prop(scope: Any, label: str) -> Any:
    """The form property whose own label is ``label`` (or ``label (Optional)``), not a parent holding it."""
    names = f"text()='{label}' or text()='{label} (Optional)'"
    return scope.locator("xpath=.//div[contains(concat(' ', @class, ' '), ' schema-form-property ')]"
                         f"[./div[@class='p-label__header']//span[@class='schema-form-property__label' and ({names})]]").first


def choose_type(scope: Any, label: str, type_name: str) -> None:
    """For an optional field, pick the type to enter instead of None (e.g. 'str', 'int', 'bool', 'Controller')."""
    prop(scope, label).locator("xpath=./div[@class='p-label__body']/div[contains(@class,'p-button-group')]/button",
                               has_text=re.compile(rf"^\s*{re.escape(type_name)}\s*$")).click()


def fill(scope: Any, label: str, text: str) -> None:
    """Type into a text or number field."""
    prop(scope, label).locator("textarea, input").first.fill(text)


def add_items(scope: Any, label: str, *items: str) -> None:
    """Fill a list of free text (e.g. the measures taken): one "Add item" and one text per item."""
    field = prop(scope, label)
    for item in items:
        field.get_by_role("button", name="Add item").click()
        field.locator("textarea, input").last.fill(item)


def pick(page: Any, scope: Any, label: str, *options: str) -> None:
    """Choose one option of a select, or several of a multi-select."""
    prop(scope, label).locator(".p-select-button__control").first.click()
    if not page.locator(".p-select-option").count():
        page.keyboard.press("ArrowDown")  # some selects open on the keyboard only
    for option in options:
        page.locator(".p-select-option", has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).first.click()
    if page.locator(".p-select-option").count():
        page.keyboard.press("Escape")


def open_incident(page: Any, *, ui: str, deployment_id: str, facts: dict[str, Any], people_path: str,
                  screenshot: Path | None = None) -> None:
    """Fill the breach-response Run form with ``facts`` (the fields below) and submit it."""
    page.goto(f"{ui}/deployments/deployment/{deployment_id}/run")
    page.get_by_text("Summary").first.wait_for()
    choose_type(page, "Reference", "str")
    fill(page, "Reference", facts["reference"])
    fill(page, "Summary", facts["summary"])
    choose_type(page, "Aware At", "date-time")
    prop(page, "Aware At").locator(".p-date-button__control").click()
    page.locator(".p-date-picker").get_by_role("button", name="Now").click()
    page.locator(".p-date-picker").get_by_role("button", name="Apply").click()
    pick(page, page, "Breach Types", *facts["breach_types"])
    pick(page, page, "Data Categories", *facts["data_categories"])
    for label in ("Cause", "Exfiltration", "Recipient", "Accessed"):
        pick(page, page, label, facts[label.lower()])
    if facts.get("measures_taken"):
        add_items(page, "Measures Taken", *facts["measures_taken"])
    choose_type(page, "Subjects Affected", "int")
    fill(page, "Subjects Affected", str(facts["subjects_affected"]))
    choose_type(page, "Controller", "Controller")
    controller = prop(page, "Controller")
    choose_type(controller, "Name", "str")
    fill(controller, "Name", facts["controller"]["name"])
    choose_type(controller, "Country", "str")
    fill(controller, "Country", facts["controller"]["country"])
    choose_type(page, "people_path", "str")
    fill(page, "people_path", people_path)
    if screenshot is not None:
        prop(page, "Summary").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot))
    page.get_by_role("button", name="Submit").click()


def resume(page: Any, *, ui: str, run_id: str, approver: str, code: str, decision: str = "approve", comment: str = "",
           expect: str = "Approve the notices of incident", screenshot: Path | None = None) -> str:
    """Open the paused run, click Resume, fill the approval form, submit; returns the form's text as shown."""
    page.goto(f"{ui}/runs/flow-run/{run_id}")
    page.get_by_role("button", name="Resume").first.click()
    modal = page.locator(".p-modal__card", has_text="Resume Flow Run")
    modal.get_by_text(expect).first.wait_for()
    shown = modal.inner_text()
    if decision != "approve":
        pick(page, modal, "Decision", decision)
    fill(modal, "Approver", approver)
    fill(modal, "Code", code)
    fill(modal, "Comment", comment)
    if screenshot is not None:
        page.screenshot(path=str(screenshot))
    modal.get_by_role("button", name="Submit").click()
    try:
        page.locator(".p-modal__card", has_text="Resume Flow Run").wait_for(state="detached", timeout=120_000)
    except Exception as exc:  # the form stayed open: say what it shows (a validation message, an API error)
        raise AssertionError(f"the Resume form did not close after Submit; it shows:\n{modal.inner_text()}") from exc
    return str(shown)


def resume_form_text(page: Any, *, ui: str, run_id: str) -> str:
    """The approval form's text as a manager sees it when they open it (then closed without answering)."""
    page.goto(f"{ui}/runs/flow-run/{run_id}")
    page.get_by_role("button", name="Resume").first.click()
    modal = page.locator(".p-modal__card", has_text="Resume Flow Run")
    modal.get_by_text("Approve the notices of incident").first.wait_for()
    shown = str(modal.inner_text())
    page.keyboard.press("Escape")  # closed without an answer
    return shown
