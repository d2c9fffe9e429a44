"""One settings object for the server, with documented defaults, read from the environment with pydantic-settings."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from app.models.lenet import SHIPPED_WEIGHTS
from app.paths import data_home, resource_dir

ENV_PREFIX = "BACKPROP_LAB_"

LogLevel = Literal["critical", "error", "warning", "info", "debug"]
RoomBackend = Literal["sqlite", "memory", "redis"]


class Settings(BaseSettings):
    """Everything the server can be told; from_env() reads each field `name` from the variable BACKPROP_LAB_<NAME>."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Interface `backprop-lab serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port `backprop-lab serve` listens on.")
    log_level: LogLevel = Field("info", description="Level of the server's log messages.")
    static_dir: Path = Field(
        default_factory=lambda: resource_dir("static"),
        description="Folder served at /static (CSS, JavaScript, images).",
    )
    templates_dir: Path = Field(
        default_factory=lambda: resource_dir("templates"),
        description="Folder of the Jinja2 page templates.",
    )

    weights: Path = Field(
        SHIPPED_WEIGHTS,
        description="LeNet-5 weights file the server loads at start (default: the weights shipped in the package).",
    )

    allowed_origins: Annotated[list[str], NoDecode] = Field(  # comma-separated in the environment, not JSON
        default_factory=list,
        description="Origins, besides the server's own, whose pages may open websockets (e.g. a proxy's https://host).",
    )
    max_message_bytes: int = Field(262_144, ge=1024, description="Largest websocket message accepted, in bytes.")
    max_pending: int = Field(8, ge=1, description="Requests that may wait on one websocket before `busy` errors.")
    send_timeout_s: float = Field(5.0, gt=0, description="Seconds a send may take before the client is dropped.")
    stream_interval_s: float = Field(0.03, ge=0, description="Pause between the frames of a streamed answer.")
    compute_threads: int = Field(2, ge=1, description="Threads running NumPy for all websockets together.")
    loop_batch: int = Field(
        16,
        ge=1,
        description="Most quick requests (plain drawings) answered together in one round of the event loop (at 32, "
        "OpenBLAS's own threads took the server to 1.5 cores at 1,500 drawings/s).",
    )
    loop_batch_wait_s: float = Field(
        0.005,
        ge=0,
        description="While quick requests keep coming, how long the first of a batch waits for others (0: never).",
    )
    conv_max_size: int = Field(32, ge=3, description="Largest input height and width on the conv page, in cells.")
    conv_max_channels: int = Field(8, ge=1, description="Most input channels C on the conv page.")
    conv_max_filters: int = Field(8, ge=1, description="Most kernels (filters F) on the conv page.")
    conv_max_kernel: int = Field(
        9, ge=1, description="Largest kernel size k of the conv page's convolution and stage 2."
    )
    conv_max_stride: int = Field(8, ge=1, description="Largest stride and dilation on the conv page.")
    conv_max_padding: int = Field(
        16, ge=0, description="Largest padding on the conv page (also after valid/same/full)."
    )
    conv_max_value: float = Field(
        1000.0, gt=0, description="Largest magnitude of an input, weight or bias on the conv page."
    )
    conv_max_terms: int = Field(
        200_000, ge=1, description="Most products F·C·k²·OH·OW in one conv-page walkthrough (bounds its work and size)."
    )
    conv_chunk_windows: int = Field(
        256, ge=1, description="Output positions per streamed frame of a conv-page walkthrough (whole rows at least)."
    )
    surface_grid: int = Field(
        41,
        ge=5,
        le=201,
        description="Cells along each side of the output grids over the input plane on /neuron and /xor.",
    )
    neuron_max_param: int = Field(10, ge=1, description="Largest magnitude of w₁, w₂ and b on the neuron page.")
    xor_max_lr: int = Field(20, ge=1, description="Largest learning rate on the XOR page.")
    xor_max_steps_per_frame: int = Field(
        200, ge=1, description="Most SGD steps between two streamed frames of an XOR training run."
    )
    xor_max_run_steps: int = Field(
        200_000, ge=1, description="SGD steps after which an XOR training run stops by itself (until reset)."
    )
    why_max_width: int = Field(8, ge=1, description="Widest layer of the chain networks on the why-backprop page.")
    why_max_depth: int = Field(
        12, ge=1, description="Most hidden layers of the chain networks on the why-backprop page."
    )
    why_timing_repeats: int = Field(
        5, ge=1, description="Runs per measured wall time on the why-backprop page (median)."
    )
    why_max_listed_terms: int = Field(
        600, ge=1, description="Most derivative terms the why-backprop page lists one by one (beyond it: counts only)."
    )
    kernels_max_points: int = Field(200, ge=4, le=2000, description="Most points on the kernels page.")
    kernels_max_degree: int = Field(
        6, ge=1, le=10, description="Largest degree of the kernels page's polynomial feature map and kernel."
    )
    kernels_max_c: int = Field(1000, ge=1, description="Largest soft margin C on the kernels page.")
    kernels_max_gamma: int = Field(100, ge=1, description="Largest γ of the kernels page's poly and rbf kernels.")
    kernels_max_coef0: int = Field(
        10, ge=0, description="Largest magnitude of the poly kernel's coef0 on the kernels page."
    )
    kernels_max_iterations: int = Field(
        20_000, ge=100, description="Most SMO pair updates of one SVM fit on the kernels page (then the best found)."
    )
    kernels_grid: int = Field(
        61, ge=5, le=201, description="Cells along each side of the decision grids the kernels page paints."
    )
    kernels_net_steps: int = Field(
        4000, ge=1, description="SGD steps the kernels page's 2-2-1 network takes on each new set of points."
    )
    svm_max_points: int = Field(1000, ge=4, le=2000, description="Most points one POST /api/svm may train on.")
    svm_max_degree: int = Field(10, ge=1, le=10, description="Largest polynomial kernel degree of POST /api/svm.")
    svm_max_iterations: int = Field(
        50_000, ge=100, description="Most SMO pair updates of one POST /api/svm fit (then its best, converged false)."
    )
    svm_max_grid: int = Field(201, ge=2, le=501, description="Largest n of the n×n grid of f POST /api/svm returns.")
    svm_max_body_bytes: int = Field(262_144, ge=1024, description="Largest request body of POST /api/svm, in bytes.")
    lenet_max_canvas: int = Field(
        400, ge=28, description="Largest height and width of a drawing sent to /ws/lenet, in pixels."
    )
    lenet_teach_max_steps: int = Field(20, ge=1, description="Most SGD steps of one 'teach this digit' on /lenet.")
    lenet_teach_max_lr: float = Field(0.1, gt=0, description="Largest learning rate of 'teach this digit' on /lenet.")
    lenet_max_upload_bytes: int = Field(4_194_304, ge=1024, description="Largest request body of POST /api/predict.")
    lenet_max_png_pixels: int = Field(
        1_048_576, ge=784, description="Most pixels of an image sent to POST /api/predict (also Pillow's bomb limit)."
    )
    lenet_max_image_side: int = Field(
        4096, ge=28, description="Longest side, in pixels, of an image sent to POST /api/predict."
    )
    max_connections: int = Field(1000, ge=1, description="Open websockets on this process, all addresses together.")
    rate_per_s: float = Field(30.0, gt=0, description="Messages a second one websocket may send on average.")
    rate_burst: int = Field(60, ge=1, description="Messages one websocket may send at once above the average rate.")
    compute_share: float = Field(
        1.0,
        gt=0,
        le=1,
        description="Share of the compute threads' time that the client addresses using them share evenly before "
        "one over its share waits for a slot (the threads and the event loop share one GIL).",
    )
    compute_floor: float = Field(
        0.05,
        gt=0,
        le=1,
        description="Share of the compute threads' time one client address may always use, however many share them.",
    )
    read_loop_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of the event loop that reading websocket frames may take before the client addresses "
        "reading most wait their turn (split evenly among the addresses reading).",
    )
    read_loop_floor: float = Field(
        0.05,
        gt=0,
        le=1,
        description="Share of the event loop one client address may always use reading its frames, however many read.",
    )
    rate_strikes: int = Field(
        50, ge=1, description="Refused messages in a row after which a flooding socket is closed."
    )
    idle_timeout_s: float = Field(
        1800.0, gt=0, description="Seconds without a message after which a websocket is closed."
    )
    ping_interval_s: float = Field(20.0, gt=0, description="Seconds between keepalive pings to each websocket.")
    ping_timeout_s: float = Field(20.0, gt=0, description="Seconds a pong may take before the websocket is dropped.")
    redis_url: str = Field(
        "",
        description="Redis server holding the classroom rooms, e.g. redis://127.0.0.1:6379/0 (then ROOMS is redis"
        " unless set otherwise; needed for `serve --workers` above 1 and for several machines).",
    )
    rooms: RoomBackend = Field(
        "sqlite",
        description="Where classroom rooms live: sqlite (a file that outlives restarts), memory (this process only) or"
        " redis (REDIS_URL; chosen by default when REDIS_URL is set).",
    )
    rooms_db: Path = Field(
        default_factory=lambda: data_home() / "rooms.sqlite3",
        description="SQLite file of the classroom rooms when ROOMS is sqlite (its folder is created).",
    )
    public_url: str = Field(
        "",
        description=(
            "Address students use to reach the server, for join links and QR codes"
            " (empty: as the teacher's browser reached it)."
        ),
    )
    room_idle_minutes: float = Field(
        120.0, gt=0, description="Minutes a classroom room lives with nobody connected and nothing sent."
    )
    max_rooms: int = Field(500, ge=1, description="Classroom rooms open at once, on all processes together.")
    room_opens_per_hour: int = Field(
        20, ge=1, description="Rooms one address may open in an hour (per server process)."
    )
    room_max_submissions: int = Field(5000, ge=1, description="Drawings one room's gallery keeps.")
    room_max_drawings_per_member: int = Field(
        50, ge=1, description="Drawings one member (a student's tab) may send to a room, removed ones included."
    )
    room_max_drawings_per_address: int = Field(
        3000,
        ge=1,
        description="Drawings one client address may send to a room (a class of 300 behind one NAT, 10 each, fits).",
    )
    room_joins_per_minute: int = Field(
        120,
        ge=1,
        description="New members (tabs) one address may add to rooms a minute, in bursts of as many (per process).",
    )
    room_wrong_codes_per_minute: int = Field(
        30,
        ge=1,
        description="Wrong join codes or teacher keys one address may try a minute on REST and websockets together.",
    )
    room_batch_max_drawings: int = Field(
        500, ge=1, description="Most tagged drawings one class step runs on (the newest, when more are tagged)."
    )
    room_batch_max_lr: float = Field(1.0, gt=0, description="Largest learning rate of a room's class step.")
    room_max_view_bytes: int = Field(
        32_768,
        ge=1024,
        description="Largest description of the teacher's screen a room broadcasts (the drawing's strokes included).",
    )
    shutdown_timeout_s: float = Field(5.0, gt=0, description="Seconds a shutdown waits for open connections.")
    hello_timeout_s: float = Field(
        5.0, gt=0, description="Seconds a new websocket has to send its hello before it is closed (1008)."
    )
    max_connections_per_address: int = Field(
        400,
        ge=1,
        description="Open websockets from one client address, greeted or not (a class behind one NAT address fits).",
    )
    http_max_header_bytes: int = Field(
        16_384, ge=1024, description="Largest HTTP request line plus headers; a larger one is refused with 400."
    )
    http_header_timeout_s: float = Field(
        10.0, gt=0, description="Seconds a client has to send a whole HTTP request head once the connection is idle."
    )
    http_keepalive_s: int = Field(5, ge=1, description="Seconds an idle keep-alive HTTP connection is kept open.")
    http_max_concurrency: int = Field(
        1500,
        ge=1,
        description="Open connections (websockets included) and requests above which new HTTP requests get 503.",
    )
    file_reserve: int = Field(
        64, ge=16, description="Open files kept beside the connections (logs, weights, Redis, the listening socket)."
    )
    max_queued_requests: int = Field(
        16,
        ge=1,
        description=(
            "Uploads to POST /api/predict admitted at once (body being read, waiting for or on a compute thread);"
            " more get 503 busy at once, before their bodies are read."
        ),
    )
    max_queued_per_address: int = Field(
        4,
        ge=1,
        description="Of those, uploads one client address may have admitted at once; one more gets 503 busy.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(  # comma-separated in the environment, not JSON
        default_factory=list,
        description=(
            "Host names, besides IP addresses, localhost, names without a dot, .local names and the public URL's host,"
            " that requests may be sent to (others get 400, against DNS rebinding); * allows any."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def redis_when_its_url_is_set(cls, values: object) -> object:
        """A Redis URL with no backend named keeps the rooms in Redis, as it did before ROOMS existed."""
        if isinstance(values, dict) and values.get("redis_url") and "rooms" not in values:
            return {**values, "rooms": "redis"}
        return values

    @model_validator(mode="after")
    def redis_has_a_url(self) -> Self:
        """Rooms in Redis need its address."""
        if self.rooms == "redis" and not self.redis_url:
            raise ValueError(f"rooms in redis need {self.env_var('redis_url')}, e.g. redis://127.0.0.1:6379/0")
        return self

    @field_validator("allowed_origins", "allowed_hosts", mode="before")
    @classmethod
    def comma_separated(cls, value: object) -> object:
        """An environment variable lists origins (or hosts) separated by commas."""
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @classmethod
    def env_var(cls, field: str) -> str:
        """Name of the environment variable that sets `field`."""
        return ENV_PREFIX + field.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values passed in: Settings() is the defaults whatever the environment (tests rely on that)."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Settings from the BACKPROP_LAB_* variables of `environ` (default: os.environ), defaults for the rest."""
        return cls(**Environment(cls, os.environ if environ is None else environ)())


class Environment(EnvSettingsSource):
    """pydantic-settings' source of environment variables, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self.environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        """The BACKPROP_LAB_* variables, spelt in capitals as ever, by the lower-case name the source looks up."""
        return {name.lower(): value for name, value in self.environ.items() if name.startswith(ENV_PREFIX)}
