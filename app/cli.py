"""The `backprop-lab` command line; add a subcommand by writing its two functions and listing it in COMMANDS."""

import argparse
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import get_args

from app import __version__
from app.server.settings import LogLevel, Settings

logger = logging.getLogger("app.cli")


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, help line, how it declares its arguments and what it runs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `serve`; their defaults come from the BACKPROP_LAB_* environment variables."""
    defaults = Settings.from_env()
    parser.add_argument("--host", default=defaults.host, help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.port, help="TCP port (default: %(default)s)")
    parser.add_argument(
        "--log-level",
        choices=get_args(LogLevel),
        default=defaults.log_level,
        help="how much the server logs (default: %(default)s)",
    )


def _serve(args: argparse.Namespace) -> int:
    """Run the web app with uvicorn until interrupted."""
    import uvicorn

    from app.server.app import create_app

    flags = {"host": args.host, "port": args.port, "log_level": args.log_level}
    settings = Settings.from_env().model_copy(update=flags)
    logging.getLogger().setLevel(settings.log_level.upper())
    logger.info("serving backprop-lab on http://%s:%d", settings.host, settings.port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)
    return 0


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `bench`."""
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for a fast smoke run")


def _bench(args: argparse.Namespace) -> int:
    """Time the engine against PyTorch and print the figures as one JSON line on stdout."""
    from app.bench import run

    print(json.dumps(run(quick=args.quick)))
    return 0


COMMANDS: tuple[Command, ...] = (
    Command("serve", "run the web app", _serve_arguments, _serve),
    Command("bench", "benchmark the NumPy engine against PyTorch (JSON on stdout)", _bench_arguments, _bench),
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per entry of COMMANDS."""
    parser = argparse.ArgumentParser(
        prog="backprop-lab", description="Backpropagation and CNNs, computed by NumPy and animated in the browser."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparser = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: the process arguments) and run the chosen subcommand; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return args.run(args)
