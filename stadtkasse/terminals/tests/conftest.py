"""Fixtures of the terminal tests: the ZVT simulator on a free loopback port."""

import pytest

from stadtkasse_dev.zvt.simulator import ZvtSimulator


@pytest.fixture
def simulator():
    """A running simulator that approves; tests set ``scenario`` and the delays they need."""
    sim = ZvtSimulator(0, "approve", interval=0.05, duration=0.3, step_delay=0.02).start()
    yield sim
    sim.stop()


@pytest.fixture
def inline_dialogues(monkeypatch):
    """Run terminal dialogues in the calling thread, inside the test's transaction."""
    from stadtkasse.terminals import services

    monkeypatch.setattr(services, "run_in_background", lambda function, *args: function(*args))


@pytest.fixture
def terminal(pool_till, simulator, inline_dialogues):
    """The pool till's terminal configuration, pointing at the simulator."""
    from stadtkasse.terminals.models import TerminalConfig

    return TerminalConfig.objects.create(
        point_of_sale=pool_till,
        host="127.0.0.1",
        port=simulator.port,
        connect_timeout_seconds=2,
        idle_timeout_seconds=1,
    )
