"""`idp connector ...`: manage the active email connector (what Logto's Console does), and `idp aliyun-stub`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from idp import bootstrap, mail
from idp.db import make_engine, make_sessionmaker
from idp.errors import RequestError
from idp.mail import TEMPLATE_TYPES, Message, SenderEnvironment, connectors
from idp.mail.templates import check_recipient, choose, code_warning
from idp.settings import Settings

log = logging.getLogger("idp.mail")
# Logto's connector test ("Send" in the Console) sends this dummy code with the Generic template.
TEST_CODE = "000000"


def add_commands(sub: Any) -> None:
    """Register the `connector` subcommands on the top-level parser's subparsers."""
    connector = sub.add_parser("connector", help="the email connector").add_subparsers()

    put = connector.add_parser("set", help="validate and store the active email connector")
    put.add_argument("name", help=f"an installed email sender: {', '.join(mail.names())}")
    put.add_argument("--config", required=True, help="JSON file with the connector config ('-' for stdin)")
    put.set_defaults(run=run_set)

    connector.add_parser("get", help="show the active connector, secrets masked").set_defaults(run=run_get)
    connector.add_parser("remove", help="remove the active connector").set_defaults(run=run_remove)

    test = connector.add_parser("test", help="send a test code through the active connector")
    test.add_argument("--to", required=True)
    test.add_argument("--type", default="Generic", choices=TEMPLATE_TYPES)
    test.set_defaults(run=run_test)

    stub = sub.add_parser("aliyun-stub", help="a local stand-in for Aliyun Direct Mail (tests and demos)")
    stub.add_argument("--host", default="127.0.0.1")
    stub.add_argument("--port", type=int, required=True)
    stub.add_argument("--access-key-id", required=True)
    stub.add_argument("--access-key-secret", required=True)
    stub.set_defaults(run=run_aliyun_stub, database=None)


def run_set(settings: Settings, args: argparse.Namespace) -> int:
    config = read_config(args.config)
    bootstrap.prepare(settings)
    with bootstrap.session(settings) as tx:
        stored = connectors.set_active(tx, args.name, config)
    warn_about_templates(stored["config"].get("templates"))
    return show(stored)


def warn_about_templates(templates: Any) -> str | None:
    warning = code_warning(templates)
    if warning:
        log.warning("Warning: %s.", warning)
    return warning


def run_get(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap.prepare(settings)
    with bootstrap.session(settings) as tx:
        return show(connectors.get_active(tx))


def run_remove(settings: Settings, args: argparse.Namespace) -> int:
    bootstrap.prepare(settings)
    with bootstrap.session(settings) as tx:
        removed = connectors.remove(tx)
    print(json.dumps({"removed": removed}))
    return 0


def run_test(settings: Settings, args: argparse.Namespace) -> int:
    """Send a test code; print the connector's error exactly (as `{code, message, data}`) when it fails."""
    bootstrap.prepare(settings)
    env = SenderEnvironment(settings=settings, sessions=make_sessionmaker(make_engine(settings.database_url)),
                            now=lambda: datetime.now(timezone.utc))
    try:
        check_recipient(args.to)
        with env.sessions.begin() as tx:
            active = connectors.get_active(tx)
            sender = connectors.sender_for(tx, env)
        if sender is None:
            raise RequestError("connector.not_found", "No email connector is set.", 501)
        sender.send(Message(to=args.to, type=args.type, payload={"code": TEST_CODE}))
    except RequestError as error:
        print(json.dumps({"code": error.code, "message": error.message, "data": error.data}), file=sys.stderr)
        return 1
    result: dict[str, Any] = {"sent": True, "connector": active["name"], "to": args.to, "type": args.type}
    templates = active["config"].get("templates")
    if isinstance(templates, list) and templates:
        warning = warn_about_templates([choose(templates, args.type)])
        if warning:
            result["warning"] = warning
    print(json.dumps(result))
    return 0


def run_aliyun_stub(settings: Settings, args: argparse.Namespace) -> int:
    from idp import aliyun_stub

    aliyun_stub.serve(host=args.host, port=args.port, access_key_id=args.access_key_id,
                      access_key_secret=args.access_key_secret)
    return 0


def read_config(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        return json.loads(text)
    except OSError as error:
        raise RequestError("guard.invalid_input", f"Cannot read {path}: {error.strerror}", 400) from None
    except ValueError as error:
        raise RequestError("guard.invalid_input", f"{path} is not JSON: {error}", 400) from None


def show(stored: dict[str, Any] | None) -> int:
    masked = None if stored is None else {"name": stored["name"], "config": connectors.masked(stored["config"])}
    print(json.dumps(masked, indent=2))
    return 0
