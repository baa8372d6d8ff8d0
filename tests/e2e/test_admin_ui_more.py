"""The admin web UI in a real headless Chromium, beyond the SQL wizard: the Settings page (SCIM port, a generated
and an uploaded certificate, which the host then serves), a CSV connector configured page by page from its header
row, the Test connection page running `ecmahost test-connection`'s steps against the running host, a user
provisioned through the connector's SCIM endpoint and found in the CSV file, then Export, Import and Delete and
the Logs page's filters.

Screenshots go to test-artifacts/screenshots/more/ (git-ignored).
"""

from __future__ import annotations

import csv
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecmahost.tls import generate_certificate

from admin_browser import open_browser_page, running_admin, start_ecmahost, stop_process, wait_for
from e2e_host import free_port

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.e2e]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "more"
PASSWORD = "admin-password-for-e2e-more"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
IMPORTED = """name: imported
type: csv
connection: {folder: data}
object_types:
  User:
    file: imported.csv
    anchor: Id
    attributes:
      Id: {mutability: readOnly}
      Login: {scim: userName, required: true, unique: true}
"""


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("admin-more-home")
    password_file = folder.parent / "admin-more-password.txt"
    password_file.write_text(PASSWORD + "\n")
    command = [sys.executable, "-m", "ecmahost", "admin", "set-password", "--home", str(folder)]
    subprocess.run([*command, "--password-file", str(password_file)], check=True, capture_output=True)
    (folder / "data").mkdir()
    (folder / "data" / "people.csv").write_text("Id,Login,FirstName,LastName,Email,Active\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def admin_url(home: Path) -> Iterator[str]:
    with running_admin(home, home.parent / "admin-more.log") as url:
        yield url


@pytest.fixture(scope="module")
def page(admin_url: str) -> Iterator[object]:
    with open_browser_page(SCREENSHOTS, accept_downloads=True) as tab:
        tab.on("dialog", lambda dialog: dialog.accept())
        tab.goto(f"{admin_url}/login")
        tab.get_by_label("Admin password").fill(PASSWORD)
        tab.get_by_role("button", name="Log in").click()
        yield tab


def test_settings_generate_and_upload_a_certificate_the_host_then_serves(
    page: object, admin_url: str, home: Path
) -> None:
    expect = playwright_sync.expect
    scim_port = free_port()
    page.goto(f"{admin_url}/settings")  # type: ignore[attr-defined]
    page.get_by_label("SCIM port").fill(str(scim_port))  # type: ignore[attr-defined]
    page.get_by_label("Bind address").fill("127.0.0.1")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save settings").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text("Settings saved")  # type: ignore[attr-defined]
    assert f"port: {scim_port}" in (home / "host.yaml").read_text()

    page.get_by_label("Host names for a new self-signed certificate").fill("generated.example.org")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Generate certificate").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text("Certificate generated")  # type: ignore[attr-defined]
    expect(page.locator("main")).to_contain_text("generated.example.org")  # type: ignore[attr-defined]
    shot(page, "01-settings-certificate-generated")

    upload = home.parent / "upload"
    upload.mkdir()
    generate_certificate((upload / "host.crt", upload / "host.key"), hostnames=["localhost", "uploaded.example.org"])
    page.set_input_files("#cert-file", str(upload / "host.crt"))  # type: ignore[attr-defined]
    page.set_input_files("#key-file", str(upload / "host.key"))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Upload certificate").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text("Certificate uploaded")  # type: ignore[attr-defined]
    expect(page.locator("main")).to_contain_text("uploaded.example.org")  # type: ignore[attr-defined]
    shot(page, "02-settings-certificate-uploaded")
    assert (home / "certs" / "host.crt").read_bytes() == (upload / "host.crt").read_bytes()


@pytest.fixture(scope="module")
def host(home: Path) -> Iterator[tuple[str, ssl.SSLContext]]:
    """`ecmahost serve` on the port saved on the Settings page, with the uploaded certificate."""
    log = home.parent / "host-more.log"
    settings = home / "host.yaml"
    port = int(settings.read_text().split("port:")[1].split()[0])
    settings.write_text(settings.read_text() + "log_levels: {host: Information}\n")  # one line per request
    process = start_ecmahost(["serve", "--home", str(home)], log)
    trust = ssl.create_default_context(cafile=str(home.parent / "upload" / "host.crt"))
    wait_for(f"https://localhost:{port}/health", process, log, verify=trust)
    yield f"https://localhost:{port}", trust
    stop_process(process)


def test_a_csv_connector_configured_in_the_browser_serves_scim_and_passes_the_connection_test(
    page: object, admin_url: str, home: Path, host: tuple[str, ssl.SSLContext]
) -> None:
    expect = playwright_sync.expect
    root, trust = host
    page.goto(f"{admin_url}/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="New connector").click()  # type: ignore[attr-defined]
    page.get_by_label("Name (in the URL, case-sensitive)").fill("people")  # type: ignore[attr-defined]
    page.get_by_label("Connector type").select_option("csv")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Generate token").click()  # type: ignore[attr-defined]
    token = page.locator("#new-token").input_value()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Connectivity")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Folder").fill("data")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Test").click()  # type: ignore[attr-defined]
    expect(page.locator("#test-result")).to_contain_text("Connected")  # type: ignore[attr-defined]
    shot(page, "03-csv-connectivity-tested")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Schema")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("main")).to_contain_text("Id, Login, FirstName, LastName, Email, Active")  # type: ignore[attr-defined]
    expect(page.get_by_label("CSV file for User")).to_have_value("people.csv")  # type: ignore[attr-defined]
    shot(page, "04-csv-schema-header-row")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Object types")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("#User-anchor")).to_have_value("Id")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Select Attributes")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("#schema-preview")).to_contain_text('"Login"')  # type: ignore[attr-defined]
    shot(page, "05-csv-select-attributes")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Review and save")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text("Connector people saved")  # type: ignore[attr-defined]

    base = f"{root}/ecma2host_people/scim"
    with httpx.Client(base_url=base, verify=trust, headers={"Authorization": f"Bearer {token}"}) as scim:
        deadline = time.monotonic() + 20
        while scim.get("/Users").status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.3)  # the host picks the new file up within its reload interval

        page.get_by_role("link", name="Test connection").click()  # type: ignore[attr-defined]
        page.get_by_label("Secret token").fill(token)  # type: ignore[attr-defined]
        page.get_by_role("button", name="Run the checks").click()  # type: ignore[attr-defined]
        expect(page.get_by_role("status")).to_contain_text("All steps passed")  # type: ignore[attr-defined]
        expect(page.locator("#checks")).to_contain_text("Dummy-user query")  # type: ignore[attr-defined]
        shot(page, "06-test-connection-all-steps")
        assert token not in page.content()  # type: ignore[attr-defined]

        body = {"schemas": [CORE_USER], "userName": "ada.csv", "active": True, "name": {"givenName": "Ada"}}
        created = scim.post("/Users", json=body)
        assert created.status_code == 201, created.text
    with (home / "data" / "people.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["Id"], row["Login"], row["FirstName"], row["Active"]) for row in rows] == [
        (created.json()["id"], "ada.csv", "Ada", "true")
    ]


def test_export_import_and_delete_buttons(page: object, admin_url: str, home: Path) -> None:
    expect = playwright_sync.expect
    page.goto(f"{admin_url}/")  # type: ignore[attr-defined]
    with page.expect_download() as download_info:  # type: ignore[attr-defined]
        page.locator("tr", has_text="people").get_by_role("link", name="Export").click()  # type: ignore[attr-defined]
    exported = Path(download_info.value.path()).read_text()
    assert "file: people.csv" in exported
    assert "hash" not in exported  # the token hash is left out

    source = home.parent / "imported.yaml"
    source.write_text(IMPORTED)
    page.set_input_files("#import-file", str(source))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Import").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text("Imported connector imported")  # type: ignore[attr-defined]
    assert (home / "connectors" / "imported.yaml").exists()
    shot(page, "07-connectors-imported")

    page.locator("tr", has_text="imported").get_by_role("button", name="Delete").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text("Deleted connector imported")  # type: ignore[attr-defined]
    assert not (home / "connectors" / "imported.yaml").exists()
    assert (home / "connectors" / "people.yaml").exists()
    shot(page, "08-connectors-after-delete")


def test_logs_page_filters_by_level(page: object, admin_url: str) -> None:
    expect = playwright_sync.expect
    page.goto(f"{admin_url}/logs")  # type: ignore[attr-defined]
    page.get_by_label("Level at least").select_option("Verbose")  # type: ignore[attr-defined]
    page.get_by_label("Connector").select_option("people")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Filter").click()  # type: ignore[attr-defined]
    expect(page).to_have_url(f"{admin_url}/logs?level=Verbose&connector=people")  # type: ignore[attr-defined]
    expect(page.locator("#log-lines")).to_contain_text("POST /ecma2host_people/scim/Users -> 201")  # type: ignore[attr-defined]
    shot(page, "09-logs-filtered")
    page.get_by_label("Level at least").select_option("Error")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Filter").click()  # type: ignore[attr-defined]
    expect(page.locator("#log-lines")).not_to_contain_text("POST /ecma2host_people/scim/Users -> 201")  # type: ignore[attr-defined]
