"""Settings: defaults, environment overrides, and the located asset folders."""

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_defaults_listen_on_loopback_port_8000() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8000, "info")


def test_prefixed_environment_variables_override_defaults() -> None:
    settings = Settings.from_env({"BACKPROP_LAB_PORT": "9001", "BACKPROP_LAB_LOG_LEVEL": "debug", "PORT": "1"})
    assert (settings.port, settings.log_level) == (9001, "debug")


def test_invalid_environment_value_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Settings.from_env({"BACKPROP_LAB_PORT": "0"})


def test_default_asset_folders_hold_the_layout_and_the_stylesheet() -> None:
    settings = Settings()
    assert (settings.templates_dir / "base.html").is_file()
    assert (settings.static_dir / "css" / "app.css").is_file()


def test_origins_are_comma_separated_in_the_environment() -> None:
    settings = Settings.from_env({"BACKPROP_LAB_ALLOWED_ORIGINS": "https://lab.example, http://localhost:9000,"})
    assert settings.allowed_origins == ["https://lab.example", "http://localhost:9000"]


def test_variables_of_other_parts_of_the_app_and_other_spellings_are_left_alone() -> None:
    environ = {"BACKPROP_LAB_DATA_DIR": "/data/mnist", "backprop_lab_port": "9001", "Backprop_Lab_Port": "9002"}
    assert Settings.from_env(environ) == Settings()


def test_from_env_reads_the_process_environment_and_a_plain_settings_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPROP_LAB_MAX_ROOMS", "7")
    assert Settings.from_env().max_rooms == 7
    assert Settings().max_rooms == 500
