"""The admin web UI: a Starlette app of server-rendered pages (Jinja2) and a little JavaScript, all shipped in
the package (no CDN). `create_admin_app(home)` builds it. It runs beside the host (`ecmahost admin`), not inside
it: a saved or deleted connector file reaches a running host through the host's own watcher.

Every page but the login page needs a session; every POST must carry the session's CSRF token. The pages live
in `connector_pages`, `wizard_pages`, `host_pages` and `activity_pages`, what they share in `pages`; this module
holds the session guard, login/logout and the factory. It never serves SCIM, and the SCIM app never serves it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ecmahost.admin import activity_pages, connector_pages, host_pages, wizard_pages
from ecmahost.admin.pages import AdminState, redirect, render, session_of, state
from ecmahost.admin.security import SESSION_COOKIE, SESSION_SECONDS, check_admin_password
from ecmahost.home import Home

HERE = Path(__file__).parent
Handler = Callable[[Request], Awaitable[Response]]


def protected(handler: Handler) -> Handler:
    """Require a logged-in session; on POST, also the session's CSRF token."""

    async def guarded(request: Request) -> Response:
        session = state(request).sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return redirect("/login")
        request.state.session = session
        if request.method == "POST":
            candidate = request.headers.get("x-csrf-token")
            if candidate is None:
                candidate = (await request.form()).get("csrf")
            if not session.csrf_matches(str(candidate) if candidate else None):
                return PlainTextResponse("invalid or missing CSRF token: reload the page", status_code=403)
        return await handler(request)

    return guarded


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "login.html")
    form = await request.form()
    password = str(form.get("password") or "")
    the_state = state(request)
    valid = await anyio.to_thread.run_sync(check_admin_password, the_state.home, password)
    if not valid:
        return render(request, "login.html", status_code=401, error="wrong password")
    _, cookie = the_state.sessions.create()
    response = redirect("/")
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=the_state.secure_cookies,
    )
    return response


async def logout(request: Request) -> Response:
    state(request).sessions.end(session_of(request))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


def create_admin_app(home: Home, *, secure_cookies: bool = False) -> Starlette:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    routes: list[BaseRoute] = [
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", protected(logout), methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    pages = [*connector_pages.ROUTES, *wizard_pages.ROUTES, *host_pages.ROUTES, *activity_pages.ROUTES]
    for path, handler, methods in pages:
        routes.append(Route(path, protected(handler), methods=methods))
    app = Starlette(routes=routes)
    app.state.admin = AdminState(home, templates, secure_cookies=secure_cookies)
    return app
