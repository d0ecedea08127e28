"""`make soak [SOAK_MINUTES=30]` or `python -m tests.soak [--minutes M] [--rate R]`: the stack
as `make run` starts it (its own PostgreSQL and authenticated nats-server, in a scratch folder),
then the soak. Prints the table and the closing line, writes .dayaq/soak/results.json, and exits
1 on any error or growth."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

from shared.cli import (
    SERVICE_NAMES,
    _migrate,
    database_name,
    dev_secrets,
    nats_credentials_dir,
    running_services,
)
from shared.devkeys import ensure_dev_keys, mark_development_folder
from shared.devstack import NatsServer, Postgres, free_port, with_database
from shared.messaging.identities import ensure_seeds
from tests.soak.run import Report, soak

RESULTS = Path(".dayaq/soak")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="default: %(default)s")
    parser.add_argument(
        "--rate", type=float, default=20.0, help="journeys started a minute (%(default)s)"
    )
    parser.add_argument(
        "--warm-up",
        type=float,
        default=None,
        help="minutes before the first sample (a fifth of --minutes, at most 2)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="default: %(default)s")
    arguments = parser.parse_args()
    if arguments.warm_up is None:
        arguments.warm_up = min(2.0, arguments.minutes / 5)
    return arguments


def _soak_on_own_stack(arguments: argparse.Namespace, scratch: Path) -> Report:
    mark_development_folder(scratch)
    postgres = Postgres(scratch / "postgres", free_port())
    nats = NatsServer(scratch / "nats", free_port(), credentials_dir=nats_credentials_dir(scratch))
    postgres.start()
    try:
        nats.start()
        try:
            server_url = postgres.url()
            urls = {name: with_database(server_url, database_name(name)) for name in SERVICE_NAMES}
            _migrate(urls, server_url)
            keys = scratch / "keys"
            with running_services(
                database_urls=urls,
                nats_url=nats.url,
                jwks_file=ensure_dev_keys(keys),
                secrets=dev_secrets(scratch / "secrets.env"),
                log_dir=arguments.output / "logs",
                ports={name: free_port() for name in SERVICE_NAMES},
                nats_seed_files=ensure_seeds(nats_credentials_dir(scratch)),
            ) as services:
                print(
                    f"soak: {arguments.rate:g} journeys a minute, {arguments.warm_up:g} minutes "
                    f"of warm-up, then {arguments.minutes:g} minutes",
                    flush=True,
                )
                return asyncio.run(
                    soak(
                        services,
                        server_url,
                        keys,
                        minutes=arguments.minutes,
                        rate=arguments.rate,
                        warm_up_minutes=arguments.warm_up,
                    )
                )
        finally:
            nats.stop()
    finally:
        postgres.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    arguments = _arguments()
    arguments.output.mkdir(parents=True, exist_ok=True)
    # SIGTERM stops as Ctrl-C does: services, servers and the scratch folder go with us.
    signal.signal(signal.SIGTERM, _interrupt)
    scratch = Path(tempfile.mkdtemp(prefix="dayaq-soak-"))
    try:
        report = _soak_on_own_stack(arguments, scratch)
    except KeyboardInterrupt:
        print("soak: stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = arguments.output / "results.json"
    results.write_text(json.dumps(report.as_json(), indent=2) + "\n")
    print(report.table())
    print(f"\nresults: {results}")
    print(report.closing_line(), flush=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
