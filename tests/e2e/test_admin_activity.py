"""The admin UI's Activity page in a real headless Chromium after a real provisioning run over HTTPS: the
dashboard shows the numbers of the operations sent (total, failed, error rate, last request, the charts' totals),
the search "what happened to this user?" finds every operation on her, and a row opens the operation's detail.

Screenshots go to test-artifacts/screenshots/ (git-ignored) for a reviewer to look at.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from admin_browser import open_browser_page, running_admin
from e2e_host import start_demo_host
from entra_requests import create_user, entra_user, patch

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "admin-password-for-activity"
CREATES = 5


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A home whose demo connector served 5 creates, a PATCH, a retried create (409) and a read of an unknown
    id (404): 8 operations, 2 failed."""
    home = tmp_path_factory.mktemp("admin-activity")
    login = f"alice-{uuid.uuid4().hex[:8]}"
    host = start_demo_host(home)
    try:
        with host.client() as scim:
            user = create_user(scim, login)
            for number in range(CREATES - 1):
                create_user(scim, f"user{number}-{uuid.uuid4().hex[:6]}")
            changed = scim.patch(f"/Users/{user['id']}", json=patch({"op": "Replace", "path": "title", "value": "x"}))
            assert changed.status_code in (200, 204)
            assert scim.post("/Users", json=entra_user(login)).status_code == 409
            assert scim.get("/Users/does-not-exist").status_code == 404
    finally:
        host.stop()
    password_file = home.parent / "activity-admin-password.txt"
    password_file.write_text(PASSWORD + "\n")
    command = [sys.executable, "-m", "ecmahost", "admin", "set-password", "--home", str(home)]
    subprocess.run([*command, "--password-file", str(password_file)], check=True, capture_output=True)
    return home, login


@pytest.fixture(scope="module")
def page(provisioned: tuple[Path, str]) -> Iterator[object]:
    home, _ = provisioned
    with running_admin(home, home.parent / "activity-admin.log") as url, open_browser_page(SCREENSHOTS) as page:
        page.goto(f"{url}/login")  # type: ignore[attr-defined]
        page.get_by_label("Admin password").fill(PASSWORD)  # type: ignore[attr-defined]
        page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
        page.url_base = url  # type: ignore[attr-defined]
        yield page


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_dashboard_shows_the_operations_of_the_run(page: object) -> None:
    expect = playwright_sync.expect
    page.get_by_role("link", name="Activity").click()  # type: ignore[attr-defined]
    panel = page.locator("section.panel[data-connector=demo]")  # type: ignore[attr-defined]
    expect(panel.locator(".hour-total")).to_have_text("8")
    expect(panel.locator(".hour-failed")).to_have_text("2")
    expect(panel.locator(".error-rate")).to_have_text("25%")
    expect(panel.locator(".last-request")).to_contain_text("get 404")
    expect(panel.locator(".target-state")).to_have_text("answering")
    charts = panel.locator("svg.chart")
    for index in (0, 1):
        expect(charts.nth(index)).to_have_attribute("data-ok", "6")
        expect(charts.nth(index)).to_have_attribute("data-failed", "2")
    assert panel.locator("svg.chart rect").count() >= 2
    expect(page.locator("table.operations tbody tr")).to_have_count(8)  # type: ignore[attr-defined]
    shot(page, "activity-01-dashboard")


def test_what_happened_to_this_user_lists_every_operation_on_her(page: object, provisioned: tuple[Path, str]) -> None:
    expect = playwright_sync.expect
    _, login = provisioned
    page.goto(f"{page.url_base}/activity")  # type: ignore[attr-defined]
    page.get_by_label("What happened to").fill(login)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Search").click()  # type: ignore[attr-defined]
    rows = page.locator("table.operations tbody tr")  # type: ignore[attr-defined]
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("failed 409 uniqueness")
    expect(rows.nth(1)).to_contain_text("patch User")
    expect(rows.nth(2)).to_contain_text("create User")
    shot(page, "activity-02-user-search")
    rows.nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("patch User on demo: ok")  # type: ignore[attr-defined]
    expect(page.locator("table.detail")).to_contain_text("title")  # type: ignore[attr-defined]
    expect(page.locator("table.detail")).to_contain_text(login)  # type: ignore[attr-defined]
    shot(page, "activity-03-operation")


def test_the_connectors_page_shows_each_connectors_last_request(page: object) -> None:
    expect = playwright_sync.expect
    page.goto(f"{page.url_base}/")  # type: ignore[attr-defined]
    cell = page.get_by_role("row", name="demo").locator("td.last-request")  # type: ignore[attr-defined]
    expect(cell).to_contain_text("get 404")
    shot(page, "activity-04-connectors")
