"""Database settings read from the environment, checked in a fresh interpreter."""

import json
import os
import subprocess
import sys

import pytest

PRINT_OPTIONS = (
    "import json, stadtkasse.settings as s;"
    "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {}), default=str))"
)


def database_options(tmp_path, **environment) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_SERVER_SIDE_BINDING"}
    env.update(STADTKASSE_DATA_DIR=str(tmp_path), **environment)
    completed = subprocess.run(
        [sys.executable, "-c", PRINT_OPTIONS], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize(
    ("switch", "expected"),
    [(None, True), ("1", True), ("0", False)],
)
def test_postgres_server_side_binding(tmp_path, switch, expected):
    environment = {"DATABASE_URL": "postgres://user@127.0.0.1:5432/name"}
    if switch is not None:
        environment["DATABASE_SERVER_SIDE_BINDING"] = switch

    options = database_options(tmp_path, **environment)

    # Django turns prepared statements off unless prepare_threshold is set, so both
    # options come together or not at all.
    assert options.get("server_side_binding", False) is expected
    assert ("prepare_threshold" in options) is expected


def test_sqlite_has_no_binding_option(tmp_path):
    options = database_options(tmp_path, DATABASE_URL="")

    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options
