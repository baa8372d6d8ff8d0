"""What every admin page uses: the app's state, the request's session, rendering a template, a redirect.

The page modules (`connector_pages`, `wizard_pages`, `host_pages`, `activity_pages`) import this; `admin.app`
puts them together. It serves no route itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from ecmahost import __version__
from ecmahost.admin.security import AdminSession, SessionStore
from ecmahost.home import Home


@dataclass(slots=True)
class AdminState:
    home: Home
    templates: Jinja2Templates
    sessions: SessionStore = field(default_factory=SessionStore)
    secure_cookies: bool = False


def state(request: Request) -> AdminState:
    return request.app.state.admin  # type: ignore[no-any-return]


def session_of(request: Request) -> AdminSession:
    return request.state.session  # type: ignore[no-any-return]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    session = getattr(request.state, "session", None)
    context.setdefault("flash", request.query_params.get("flash", ""))
    context.update(csrf=session.csrf if session else "", version=__version__, path=request.url.path)
    return state(request).templates.TemplateResponse(request, template, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
