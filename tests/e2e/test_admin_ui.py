"""The admin web UI driven in a real headless Chromium (Debian's /usr/bin/chromium through Playwright): log in,
configure a SQL connector against PostgreSQL from scratch, page by page, save it, then start the real host and
provision a user through the resulting SCIM endpoint.

Screenshots of every page go to test-artifacts/screenshots/ (git-ignored) for a reviewer to look at.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from ecmahost.connectors.sql.demo_schema import create_demo_tables

from admin_browser import open_browser_page, running_admin, start_ecmahost, stop_process, wait_for
from e2e_host import free_port

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "admin-password-for-e2e"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("admin-home")
    password_file = folder.parent / "admin-password.txt"
    password_file.write_text(PASSWORD + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ecmahost",
            "admin",
            "set-password",
            "--home",
            str(folder),
            "--password-file",
            str(password_file),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "ecmahost", "cert", "generate", "--home", str(folder)], check=True, capture_output=True
    )
    return folder


@pytest.fixture(scope="module")
def admin_url(home: Path) -> Iterator[str]:
    with running_admin(home, home.parent / "admin.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(admin_url: str) -> Iterator[object]:
    with open_browser_page(SCREENSHOTS) as page:
        yield page


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _postgres_parts(url: str) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return {
        "host": parsed.host or "",
        "port": str(parsed.port or 5432),
        "database": parsed.database or "",
        "username": parsed.username or "",
    }


@pytest.fixture(scope="module")
def hr_database(home: Path, postgres_url: str) -> str:
    """Microsoft's tutorial tables (Employees, Groups, GroupMembers) in a throw-away PostgreSQL database;
    created before the browser starts (Playwright's sync API runs its own event loop)."""
    asyncio.run(create_demo_tables(postgres_url, home))
    return postgres_url


def test_a_sql_connector_configured_in_the_browser_serves_scim(
    hr_database: str, browser_page: object, admin_url: str, home: Path
) -> None:
    page = browser_page
    expect = playwright_sync.expect
    postgres_url = hr_database
    parts = _postgres_parts(postgres_url)

    page.goto(f"{admin_url}/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "01-login")
    page.get_by_label("Admin password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Connectors")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "02-connectors-empty")

    page.get_by_role("link", name="New connector").click()  # type: ignore[attr-defined]
    page.get_by_label("Name (in the URL, case-sensitive)").fill("HRpg")  # type: ignore[attr-defined]
    page.get_by_label("Description").fill("HR on PostgreSQL")  # type: ignore[attr-defined]
    views = page.get_by_label("SCIM views served")  # type: ignore[attr-defined]
    expect(views).to_have_value("both")  # Entra's ECMA template and any client: the file keeps no `views:` key
    assert views.locator("option").all_inner_texts()[1].startswith("core:")
    page.get_by_role("button", name="Generate token").click()  # type: ignore[attr-defined]
    token = page.locator("#new-token").input_value()  # type: ignore[attr-defined]
    assert len(token) >= 12
    shot(page, "03-properties-token-shown-once")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Connectivity")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Database", exact=True).select_option("postgresql")  # type: ignore[attr-defined]
    page.get_by_label("Server host").fill(parts["host"])  # type: ignore[attr-defined]
    page.get_by_label("Port").fill(parts["port"])  # type: ignore[attr-defined]
    page.get_by_label("Database name").fill(parts["database"])  # type: ignore[attr-defined]
    page.get_by_label("User name").fill(parts["username"])  # type: ignore[attr-defined]
    page.get_by_role("button", name="Test").click()  # type: ignore[attr-defined]
    expect(page.locator("#test-result")).to_contain_text("Connected")  # type: ignore[attr-defined]
    shot(page, "04-connectivity-tested")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Schema")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Table or view for User").select_option("Employees")  # type: ignore[attr-defined]
    page.get_by_label("Table or view for Group").select_option("Groups")  # type: ignore[attr-defined]
    shot(page, "05-schema-discovered")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Object types")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("#Group-members_table")).to_have_value("GroupMembers")  # type: ignore[attr-defined]
    shot(page, "06-object-types")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Select Attributes")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("textID", exact=True).uncheck()  # type: ignore[attr-defined]
    page.get_by_label("SCIM attribute for AzureID").first.fill("nickName")  # type: ignore[attr-defined]
    page.get_by_label("SCIM attribute for NickName").first.fill("")  # type: ignore[attr-defined]
    page.get_by_label("SCIM attribute for NickName").first.press("Tab")  # type: ignore[attr-defined]
    expect(page.locator("#schema-preview")).to_contain_text('"AzureID"')  # type: ignore[attr-defined]
    expect(page.locator("#schema-preview")).not_to_contain_text('"textID"')  # type: ignore[attr-defined]
    shot(page, "07-select-attributes-live-schemas")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Deprovisioning")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("When Entra disables (active = false)").first.select_option("set:Active=false")  # type: ignore[attr-defined]
    shot(page, "08-deprovisioning")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Review and save")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "09-review")
    page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text("Connector HRpg saved")  # type: ignore[attr-defined]
    shot(page, "10-connectors-saved")

    page.get_by_role("link", name="Settings").click()  # type: ignore[attr-defined]
    expect(page.locator("#cert-expiry")).to_contain_text("days left")  # type: ignore[attr-defined]
    shot(page, "12-settings")
    page.get_by_role("link", name="Logs").click()  # type: ignore[attr-defined]
    shot(page, "13-logs")

    saved = (home / "connectors" / "HRpg.yaml").read_text()
    assert "textID" not in saved
    assert token not in saved
    assert "views:" not in saved

    port = free_port()
    log = home.parent / "host.log"
    host = start_ecmahost(["serve", "--home", str(home), "--port", str(port)], log)
    try:
        cert = ssl.create_default_context(cafile=str(home / "certs" / "host.crt"))
        wait_for(f"https://localhost:{port}/health", host, log, verify=cert)
        base = f"https://localhost:{port}/ecma2host_HRpg/scim"
        page.goto(f"{admin_url}/connectors/HRpg/test")  # type: ignore[attr-defined]
        page.get_by_label("Tenant URL").fill(base)  # type: ignore[attr-defined]
        page.get_by_label("Secret token").fill(token)  # type: ignore[attr-defined]
        page.get_by_role("button", name="Run the checks").click()  # type: ignore[attr-defined]
        expect(page.get_by_role("status")).to_contain_text("All steps passed")  # type: ignore[attr-defined]
        shot(page, "11-test-connection")
        login = f"ui-{uuid.uuid4().hex[:8]}"
        body = {
            "schemas": [CORE_USER],
            "userName": login,
            "active": True,
            "nickName": "Nick",
            "name": {"givenName": "Ada"},
        }
        with httpx.Client(base_url=base, verify=cert, headers={"Authorization": f"Bearer {token}"}) as scim:
            created = scim.post("/Users", json=body)
            assert created.status_code == 201, created.text
            found = scim.get("/Users", params={"filter": f'userName eq "{login}"'}).json()
            assert found["totalResults"] == 1
    finally:
        stop_process(host)
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text('SELECT "AzureID", "FirstName" FROM "Employees" WHERE "ContosoLogin" = :l'), {"l": login}
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("Nick", "Ada")
