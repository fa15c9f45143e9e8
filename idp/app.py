"""The one wiring site: `create_app(settings)` builds the Starlette application."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from idp import cleanup
from idp.db import make_engine, make_sessionmaker
from idp.keys import KeyRing
from idp.oidc.server import AuthorizationServer
from idp.services import Clock, Services
from idp.settings import Settings
from idp.web import demo, dev, experience, logout, management, oidc, pages
from idp.web.access_log import AccessLog
from idp.web.headers import SecurityHeaders

WEB = Path(__file__).parent / "web"


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    readers = make_engine(settings.database_url, readonly=True) if engine.dialect.name == "sqlite" else engine
    templates = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=select_autoescape())
    svc = Services(settings=settings, sessions=make_sessionmaker(engine), clock=Clock(shared_offset=settings.dev), keys=KeyRing(),
                   oauth=AuthorizationServer(), templates=templates, readers=make_sessionmaker(readers))
    middleware = [Middleware(AccessLog, enabled=settings.access_log),
                  Middleware(SecurityHeaders, https=settings.secure_cookies)]
    app = Starlette(routes=routes(), middleware=middleware, lifespan=lambda _: cleanup.periodically(svc))
    app.state.services = svc
    return app


def routes() -> list[Route | Mount]:
    return [
        Route("/oidc/.well-known/openid-configuration", oidc.well_known),
        Route("/oidc/.well-known/oauth-authorization-server", oidc.well_known),
        Route("/oidc/jwks", oidc.jwks),
        Route("/oidc/auth", oidc.authorize, methods=["GET", "POST"]),
        Route("/oidc/auth/{uid}", oidc.resume),
        Route("/oidc/token", oidc.token, methods=["POST"]),
        Route("/oidc/me", oidc.me, methods=["GET", "POST"]),
        Route("/oidc/token/revocation", oidc.revocation, methods=["POST"]),
        Route("/oidc/token/introspection", oidc.introspection, methods=["POST"]),
        Route("/oidc/session/end", logout.end_session, methods=["GET", "POST"]),
        Route("/oidc/session/end/confirm", logout.confirm, methods=["POST"]),
        Route("/oidc/session/end/success", logout.success),
        *[Route(path, handler, methods=methods) for path, methods, handler in pages.ROUTES],
        *[Route(path, handler, methods=methods) for path, methods, handler in experience.ROUTES],
        *[Route(path, handler, methods=methods) for path, methods, handler in dev.ROUTES],
        *[Route(path, handler, methods=methods) for path, methods, handler in demo.ROUTES],
        *management.ROUTES,
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
    ]
