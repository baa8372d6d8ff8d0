"""Which SCIM attribute a target attribute most likely holds, from its name alone: the common spellings of logins,
names, mail, titles, enabled flags... in CamelCase, snake_case and lower case (`FirstName`, `first_name`,
`firstname`, `given_name`, `givenName`). A name is compared with its separators (`_`, `-`, spaces) removed, in
lower case, against each rule's words, so one rule covers every spelling.

It proposes, never decides: `wizard.propose` also checks the attribute's type (an `active` flag must be boolean)
and the admin reviews every mapping. It reads names only and touches no target.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WORK_EMAIL = 'emails[type eq "work"].value'
MANAGER = f"{ENTERPRISE}:manager.value"

USER_RULES: tuple[tuple[str, str], ...] = (
    (
        r"(contoso)?login(name|id)?|user(name|login)|accountname|logonname|samaccountname|userprincipalname|upn|uid",
        "userName",
    ),
    (r"externalid|extid|externalkey", "externalId"),
    (r"firstname|givenname|forename|fname", "name.givenName"),
    (r"lastname|familyname|surname|sn|lname", "name.familyName"),
    (r"middlename|additionalname", "name.middleName"),
    (r"displayname|fullname|cn|commonname", "displayName"),
    (r"(work|primary|business)?e?mail(address|addr)?", WORK_EMAIL),
    (r"(is|account)?(active|enabled)", "active"),
    (r"(job)?title|position|jobposition", "title"),
    (r"nickname", "nickName"),
    (r"preferredlanguage|language", "preferredLanguage"),
    (r"locale", "locale"),
    (r"timezone|tz", "timezone"),
    (r"(work|office|business)?(phone|telephone)(number|no)?", 'phoneNumbers[type eq "work"].value'),
    (r"mobile(phone)?(number|no)?|cell(phone)?", 'phoneNumbers[type eq "mobile"].value'),
    (r"department|dept|departmentname", f"{ENTERPRISE}:department"),
    (r"employee(number|no|num|id)|empno|staffnumber|personnelnumber", f"{ENTERPRISE}:employeeNumber"),
    (r"costcent(er|re)", f"{ENTERPRISE}:costCenter"),
    (r"organi[sz]ation|org|o|company", f"{ENTERPRISE}:organization"),
    (r"division", f"{ENTERPRISE}:division"),
    (r"manager(id|guid|key)?", MANAGER),
)
GROUP_RULES: tuple[tuple[str, str], ...] = (
    (r"displayname|(group|team|role)?name|title|cn", "displayName"),
    (r"externalid|extid|externalkey", "externalId"),
)
SCIM_CHOICES = {
    "User": tuple(dict.fromkeys(scim for _, scim in USER_RULES)),
    "Group": tuple(dict.fromkeys(scim for _, scim in GROUP_RULES)),
}
"""core and enterprise SCIM paths offered as mapping targets (any other path may be typed)"""

_SEPARATORS = re.compile(r"[\s_\-.]+")


def folded(name: str) -> str:
    """`First_Name`, `first-name`, `firstName` -> `firstname`."""
    return _SEPARATORS.sub("", name).lower()


def propose_mapping(object_type: str, names: Iterable[str]) -> dict[str, str]:
    """Target attribute -> SCIM path for the names that match a rule; each SCIM path is used once, the rules in
    order (so `Login` wins userName over `uid`), and an attribute maps to one path."""
    rules = USER_RULES if object_type == "User" else GROUP_RULES
    names = list(names)
    taken: set[str] = set()
    found: dict[str, str] = {}
    for pattern, scim in rules:
        for name in names:
            if scim not in taken and name not in found and re.fullmatch(pattern, folded(name)):
                found[name] = scim
                taken.add(scim)
    return found
