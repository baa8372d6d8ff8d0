"""The admin web UI in a real headless Chromium configuring an LDAP connector against slapd from scratch: the
Connectivity "Test" binds for real, Schema proposes inetOrgPerson and groupOfNames from the directory's schema,
Object types takes the base DNs (the DN templates follow), Select Attributes exposes a multi-valued attribute,
then the saved connector is served by the real host (`python -m ecmahost serve`) and a user and a group with
members are provisioned through SCIM and read back from slapd.

Screenshots of each LDAP page go to test-artifacts/screenshots/ldap/ (git-ignored).
"""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import httpx
import pytest

# the admin UI's fixtures (a home with an admin password and a certificate, the UI process, the browser page)
from admin_browser import start_ecmahost, stop_process, wait_for
from e2e_host import free_port
from support.slapd import BASE_DN, GROUPS, PEOPLE, ROOT_DN, ROOT_PASSWORD, Slapd
from test_admin_ui import PASSWORD, SCREENSHOTS, admin_url, browser_page, home  # noqa: F401

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.e2e, pytest.mark.ldap]

NAME = "OpenLDAPui"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ECMA_USER = "urn:ietf:params:scim:schemas:extension:ECMA2Host:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def shot(page: object, name: str) -> None:
    folder = SCREENSHOTS / "ldap"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def configure_in_the_browser(page: object, admin: str, server: Slapd) -> str:
    """Every wizard page, as an admin clicks through it; returns the token shown once."""
    expect = playwright_sync.expect
    page.goto(f"{admin}/")  # type: ignore[attr-defined]
    if page.get_by_role("heading", name="Log in").is_visible():  # type: ignore[attr-defined]
        page.get_by_label("Admin password").fill(PASSWORD)  # type: ignore[attr-defined]
        page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Connectors")).to_be_visible()  # type: ignore[attr-defined]

    page.get_by_role("link", name="New connector").click()  # type: ignore[attr-defined]
    page.get_by_label("Name (in the URL, case-sensitive)").fill(NAME)  # type: ignore[attr-defined]
    page.get_by_label("Connector type").select_option("ldap")  # type: ignore[attr-defined]
    page.get_by_label("Description").fill("Staff directory on OpenLDAP")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Generate token").click()  # type: ignore[attr-defined]
    token = str(page.locator("#new-token").input_value())  # type: ignore[attr-defined]
    shot(page, "01-properties")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Connectivity")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Host", exact=True).fill("127.0.0.1")  # type: ignore[attr-defined]
    page.get_by_label("Port", exact=True).fill(str(server.port))  # type: ignore[attr-defined]
    page.get_by_label("Security").select_option("none")  # type: ignore[attr-defined]
    page.get_by_label("Bind DN (user name)").fill(ROOT_DN)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill("not-the-password")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Test").click()  # type: ignore[attr-defined]
    expect(page.locator("#test-result")).to_contain_text("Failed")  # type: ignore[attr-defined]
    expect(page.locator("body")).not_to_contain_text("not-the-password")  # type: ignore[attr-defined]
    shot(page, "02-connectivity-wrong-password")
    page.get_by_label("Password").fill(ROOT_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Test").click()  # type: ignore[attr-defined]
    expect(page.locator("#test-result")).to_contain_text("Connected")  # type: ignore[attr-defined]
    shot(page, "03-connectivity-tested")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Schema")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_label("Object class for User")).to_have_value("inetOrgPerson")  # type: ignore[attr-defined]
    expect(page.get_by_label("Object class for Group")).to_have_value("groupOfNames")  # type: ignore[attr-defined]
    expect(page.locator("body")).to_contain_text("posixAccount")  # type: ignore[attr-defined]
    shot(page, "04-schema-object-classes")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Object types")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("#User-dn_template")).to_have_value(f"uid={{uid}},{BASE_DN}")  # type: ignore[attr-defined]
    expect(page.locator("#User-anchor")).to_have_value("entryUUID")  # type: ignore[attr-defined]
    expect(page.locator("#Group-member_attribute")).to_have_value("member")  # type: ignore[attr-defined]
    page.locator("#User-base_dn").fill(PEOPLE)  # type: ignore[attr-defined]
    page.locator("#Group-base_dn").fill(GROUPS)  # type: ignore[attr-defined]
    expect(page.locator("#User-dn_template")).to_have_value(f"uid={{uid}},{PEOPLE}")  # type: ignore[attr-defined]
    shot(page, "05-object-types")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Select Attributes")).to_be_visible()  # type: ignore[attr-defined]
    page.locator('input[name="User|sel|telephoneNumber"]').check()  # type: ignore[attr-defined]
    page.locator('input[name="User|single|telephoneNumber"]').uncheck()  # type: ignore[attr-defined]
    expect(page.locator("#schema-preview")).to_contain_text('"telephoneNumber"')  # type: ignore[attr-defined]
    shot(page, "06-select-attributes-live-schemas")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Deprovisioning")).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("When Entra disables (active = false)").first.select_option("delete")  # type: ignore[attr-defined]
    shot(page, "07-deprovisioning")
    page.get_by_role("button", name="Next").click()  # type: ignore[attr-defined]

    expect(page.get_by_role("heading", name="Review and save")).to_be_visible()  # type: ignore[attr-defined]
    review = page.get_by_label("The connector file")  # type: ignore[attr-defined]
    expect(review).to_contain_text(f"dn_template: uid={{uid}},{PEOPLE}")
    expect(review).to_contain_text(f"dn_template: cn={{cn}},{GROUPS}")
    expect(review).not_to_contain_text(ROOT_PASSWORD)
    shot(page, "08-review")
    page.get_by_role("button", name="Save").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text(f"Connector {NAME} saved")  # type: ignore[attr-defined]
    shot(page, "09-connectors-saved")
    return token


def test_an_ldap_connector_configured_in_the_browser_provisions_users_and_groups(
    ldap_server: Slapd,
    browser_page: object,  # noqa: F811
    admin_url: str,  # noqa: F811
    home: Path,  # noqa: F811
) -> None:
    token = configure_in_the_browser(browser_page, admin_url, ldap_server)
    saved = (home / "connectors" / f"{NAME}.yaml").read_text()
    assert token not in saved
    assert ROOT_PASSWORD not in saved

    port = free_port()
    log = home.parent / "ldap-host.log"
    host = start_ecmahost(["serve", "--home", str(home), "--port", str(port), "--bind", "127.0.0.1"], log)
    login, other = f"ui-{uuid.uuid4().hex[:8]}", f"ui-{uuid.uuid4().hex[:8]}"
    group_name = f"team-{uuid.uuid4().hex[:6]}"
    try:
        cert = ssl.create_default_context(cafile=str(home / "certs" / "host.crt"))
        wait_for(f"https://localhost:{port}/health", host, log, verify=cert)
        base = f"https://localhost:{port}/ecma2host_{NAME}/scim"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, verify=cert, headers=headers, timeout=30) as scim:
            ada = scim.post("/Users", json=_user(login, ["+1 555 0100", "+1 555 0101"]))
            assert ada.status_code == 201, ada.text
            bob = scim.post("/Users", json=_user(other, []))
            assert bob.status_code == 201, bob.text
            group = scim.post(
                "/Groups",
                json={"schemas": [CORE_GROUP], "displayName": group_name, "members": [{"value": ada.json()["id"]}]},
            )
            assert group.status_code == 201, group.text
            add = {"op": "Add", "path": "members", "value": [{"value": bob.json()["id"]}]}
            patched = scim.patch(f"/Groups/{group.json()['id']}", json={"schemas": [PATCH_OP], "Operations": [add]})
            assert patched.status_code in (200, 204), patched.text
            found = scim.get("/Users", params={"filter": f'userName eq "{login}"'}).json()
            assert found["totalResults"] == 1
    finally:
        stop_process(host)

    conn = ldap_server.admin()
    try:
        conn.search(f"uid={login},{PEOPLE}", "(objectClass=*)", search_scope="BASE", attributes=["*"])
        entry = conn.entries[0]
        assert entry.cn.value == login  # create_defaults: cn={uid}
        assert sorted(entry.telephoneNumber.values) == ["+1 555 0100", "+1 555 0101"]
        assert entry.mail.value == f"{login}@example.org"
        conn.search(f"cn={group_name},{GROUPS}", "(objectClass=*)", search_scope="BASE", attributes=["member"])
        members = {value.lower() for value in conn.entries[0].member.values}
        assert members == {f"uid={login},{PEOPLE}".lower(), f"uid={other},{PEOPLE}".lower()}
    finally:
        conn.unbind()


def _user(login: str, phones: list[str]) -> dict[str, object]:
    return {
        "schemas": [CORE_USER, ECMA_USER],
        "userName": login,
        "active": True,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"type": "work", "value": f"{login}@example.org", "primary": True}],
        ECMA_USER: {"telephoneNumber": phones} if phones else {},
    }
