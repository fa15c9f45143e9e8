"""The `idp` command: serve, and manage applications, users, resources and keys.

Every command honours the same `IDP_*` settings as the server and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import os
import signal
import sys
from datetime import datetime, timezone
from typing import Any

from idp import __version__, bootstrap, cleanup, devtools, keys, logs, seed
from idp.errors import RequestError
from idp.experience import config
from idp.mail import commands, delivery
from idp.management import user_fields
from idp.management import users as management_users
from idp.settings import Settings
from idp.store import apps, resources, users

log = logging.getLogger("idp")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"idp: {error}", file=sys.stderr)
        return 2
    logging.config.dictConfig(logs.config(settings.log_format))
    try:
        if args.database == "existing":
            bootstrap.require_database(settings)
        if args.database in ("existing", "create"):
            print(f"idp: database {bootstrap.shown_url(settings.database_url)}", file=sys.stderr)
        status = args.run(settings, args) or 0
        sys.stdout.flush()
        return status
    except bootstrap.NoDatabase as error:
        print(f"idp: {error}", file=sys.stderr)
        return 1
    except RequestError as error:
        print(json.dumps({"code": error.code, "message": error.message}), file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`idp user list | head`): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idp", description="A mini identity provider that behaves like Logto.")
    parser.add_argument("--version", action="version", version=f"idp {__version__}")
    # Commands read and change an existing database, except those that create one ("create", and
    # `idp serve`, which announces its database itself).
    parser.set_defaults(database="existing")
    sub = parser.add_subparsers()

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-demo", action="store_true", help="do not create the demo application")
    serve.add_argument("--seed", help="apply this seed file (TOML) before serving")
    serve.set_defaults(run=run_serve, database="serve")

    sub.add_parser("migrate", help="create the database, or apply pending schema migrations").set_defaults(
        run=run_migrate, database="create")

    reset = sub.add_parser("reset", help="delete users, sessions, codes, tokens and the outbox (development data)")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset.set_defaults(run=run_reset)

    app = sub.add_parser("app", help="applications").add_subparsers()
    create = app.add_parser("create")
    create.add_argument("--name", required=True)
    create.add_argument("--type", required=True, choices=sorted(apps.TYPES))
    create.add_argument("--redirect-uri", action="append", default=[])
    create.add_argument("--post-logout-redirect-uri", action="append", default=[])
    create.add_argument("--id", dest="app_id")
    create.add_argument("--secret")
    create.add_argument("--id-token-alg", default="ES384", choices=["ES384", "RS256"])
    create.add_argument("--management-api", action="store_true",
                        help="m2m only: may call the Management API (Logto's \"Logto Management API access\" role)")
    create.set_defaults(run=run_app_create)
    app.add_parser("list").set_defaults(run=lambda s, a: emit(s, lambda tx: [apps.to_json(x) for x in apps.list_all(tx)]))

    user = sub.add_parser("user", help="users").add_subparsers()
    create = user.add_parser("create")
    create.add_argument("--email")
    create.add_argument("--password")
    create.add_argument("--username")
    create.add_argument("--name")
    create.set_defaults(run=run_user_create)
    user.add_parser("list").set_defaults(run=lambda s, a: emit(s, lambda tx: [users.to_json(x) for x in users.list_all(tx)]))

    resource = sub.add_parser("resource", help="API resources").add_subparsers()
    create = resource.add_parser("create")
    create.add_argument("--indicator", required=True)
    create.add_argument("--name")
    create.add_argument("--access-token-ttl", type=int, default=3600)
    create.set_defaults(run=run_resource_create)
    resource.add_parser("list").set_defaults(
        run=lambda s, a: emit(s, lambda tx: [resources.to_json(x) for x in resources.list_all(tx)]))

    experience = sub.add_parser("sign-in-exp", help="the sign-in experience (Logto's shape)").add_subparsers()
    experience.add_parser("get").set_defaults(run=lambda s, a: emit(s, config.load))
    put = experience.add_parser("set")
    put.add_argument("file", nargs="?", help="a JSON file, or - for standard input")
    put.add_argument("--json", help="the JSON document itself")
    put.set_defaults(run=run_sign_in_exp_set)

    sub.add_parser("purge", help="delete expired codes, tokens, sessions and interactions").set_defaults(
        run=lambda s, a: emit(s, lambda tx: cleanup.purge(tx, now()) or {"purged": True}))

    seed_command = sub.add_parser("seed", help="apply a seed file (TOML) idempotently")
    seed_command.add_argument("file")
    seed_command.set_defaults(run=run_seed, database="create")

    commands.add_commands(sub)

    key = sub.add_parser("keys", help="signing keys").add_subparsers()
    rotate = key.add_parser("rotate")
    rotate.add_argument("--alg", default="ES384", choices=["ES384", "RS256"])
    rotate.set_defaults(run=lambda s, a: emit(s, lambda tx: keys.rotate(tx, now(), a.alg)))
    return parser


def now() -> datetime:
    return datetime.now(timezone.utc)


def emit(settings: Settings, work: Any) -> int:
    bootstrap.prepare(settings)
    with bootstrap.session(settings) as tx:
        result = work(tx)
    print(json.dumps(result, indent=2, default=str))
    return 0


def run_migrate(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap.prepare(settings)
    print(json.dumps({"migrated": True}))
    return 0


def run_app_create(settings: Settings, args: argparse.Namespace) -> int:
    def work(tx: Any) -> dict[str, Any]:
        if args.id_token_alg == "RS256":
            keys.ensure(tx, now(), "RS256")
        app, secret = apps.create(
            tx, name=args.name, type=args.type, redirect_uris=args.redirect_uri,
            post_logout_redirect_uris=args.post_logout_redirect_uri, now=now(), app_id=args.app_id,
            secret=args.secret, id_token_alg=args.id_token_alg, management_api=args.management_api,
        )
        return apps.to_json(app, secret)

    return emit(settings, work)


def run_user_create(settings: Settings, args: argparse.Namespace) -> int:
    """The Management API's `POST /api/users`, with the same checks and errors."""
    given = {"primaryEmail": args.email, "username": args.username, "password": args.password, "name": args.name}
    body = {key: value for key, value in given.items() if value is not None}
    if not ("primaryEmail" in body or "username" in body):
        log.warning("The user has neither an email address nor a username: nobody can sign in as them yet.")
    return emit(settings, lambda tx: user_fields.to_json(management_users.new_user(tx, now(), body)))


def run_reset(settings: Settings, args: argparse.Namespace) -> int:
    """`POST /api/dev/reset` from the command line, after a confirmation."""
    bootstrap.prepare(settings)
    with bootstrap.session(settings) as tx:
        count = len(users.list_all(tx))
    question = (f"Delete {count} users and every session, code, token and outbox message in "
                f"{bootstrap.shown_url(settings.database_url)}? Applications, keys and settings stay. [y/N] ")
    if not args.yes and not confirmed(question):
        print("idp: nothing was deleted (add --yes to skip this question)", file=sys.stderr)
        return 1
    return emit(settings, lambda tx: devtools.reset(tx) or {"reset": True, "users_deleted": count})


def confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    print(question, end="", file=sys.stderr, flush=True)
    try:
        return input().strip().lower() in ("y", "yes")
    except EOFError:
        return False


def run_resource_create(settings: Settings, args: argparse.Namespace) -> int:
    return emit(settings, lambda tx: resources.to_json(resources.create(
        tx, indicator=args.indicator, name=args.name, access_token_ttl=args.access_token_ttl)))


def apply_seed(settings: Settings, path: str) -> dict[str, Any]:
    document = seed.read(path)
    with bootstrap.session(settings) as tx:
        return seed.apply(tx, document, now())


def run_seed(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap.prepare(settings)
    print(json.dumps(apply_seed(settings, args.file), indent=2, default=str))
    return 0


def run_sign_in_exp_set(settings: Settings, args: argparse.Namespace) -> int:
    if args.json is not None:
        text = args.json
    elif args.file:
        text = sys.stdin.read() if args.file == "-" else open(args.file).read()
    else:
        raise RequestError("guard.invalid_input", "Give a file, - for standard input, or --json.")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise RequestError("guard.invalid_input", f"The document is not valid JSON: {error}") from error
    return emit(settings, lambda tx: config.save(tx, document))


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    from idp import serving

    settings = listening_on(args.host, args.port)
    bootstrap.prepare(settings)
    if args.seed:
        apply_seed(settings, args.seed)
    warn_about_development_defaults(settings)
    demo = None
    if not args.no_demo:
        with bootstrap.session(settings) as tx:
            demo = bootstrap.demo_app(tx, settings)
    announce(settings, demo)
    serving.run(settings.host, settings.port, args.workers, settings.log_format)
    return 0


def listening_on(host: str | None, port: int | None) -> Settings:
    """The settings with `--host` and `--port` applied. They go through the environment because
    the application (in each worker process) reads its settings from there; without
    IDP_ENDPOINT, the endpoint follows the port."""
    if host:
        os.environ["IDP_HOST"] = host
    if port:
        os.environ["IDP_PORT"] = str(port)
    return Settings.from_env()


def warn_about_development_defaults(settings: Settings) -> None:
    with bootstrap.session(settings) as tx:
        connector = delivery.active_name(tx)
    if connector is None and settings.dev:
        log.warning("!!! EMAIL IS NOT DELIVERED: the development outbox keeps every message, codes included, "
                    "at %s/api/dev/outbox. Set a connector with `idp connector set` for real delivery. !!!",
                    settings.endpoint)
    elif connector is None:
        log.warning("No email connector is set: email verification codes cannot be sent "
                    "(set one with `idp connector set`, or IDP_DEV=1 for the development outbox).")
    if settings.endpoint.startswith("http://") and not settings.dev:
        log.warning("IDP_ENDPOINT uses http://; use https:// outside local development.")


def announce(settings: Settings, demo: dict[str, Any] | None) -> None:
    if settings.log_format == "json":  # one record among the others, without the demo secret
        logs.event(log, "idp is starting", endpoint=settings.endpoint, host=settings.host, port=settings.port,
                   issuer=settings.issuer, demo_app_id=demo["id"] if demo else None,
                   database=bootstrap.shown_url(settings.database_url), dev=settings.dev)
        return
    lines = [
        f"idp is starting at {settings.endpoint} (listening on {settings.host}:{settings.port})",
        f"  issuer:            {settings.issuer}",
        f"  discovery:         {settings.issuer}/.well-known/openid-configuration",
    ]
    if demo is not None:
        lines += [
            f"  demo:              {settings.endpoint}/demo-app",
            f"  demo app id:       {demo['id']}",
            f"  demo app secret:   {demo['secret']}",
        ]
    lines.append(f"  database:          {bootstrap.shown_url(settings.database_url)}")
    if settings.dev:
        lines.append(f"  dev outbox:        {settings.endpoint}/api/dev/outbox")
    print("\n".join(lines), flush=True)
