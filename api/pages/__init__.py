"""Web pages for handläggare and förbund admins (issue 7): server-rendered Swedish HTML.

`install_pages(app)` mounts the router at `/`, the static files at `/static` and the page
services (accounts, aggregates) next to the app's `Services`. Everything a page changes goes
through the service layer (`CaseService.execute`, `DefinitionService`), so access rules and
the access log apply exactly as for the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def install_pages(app: FastAPI) -> None:
    from api.pages.routes import install

    install(app)


__all__: list[Any] = ["install_pages"]
