"""A ZVT payment terminal that speaks the protocol over TCP on the loopback interface.

Run it for the demo:

    python -m stadtkasse_dev.zvt.simulator --port 20007 --scenario approve

Scenarios for the authorization (06 01):

- approve: "insert card", "please wait", status information with result 00, receipt, completion
- decline: status information and abort (06 1E) with result code 05 (declined by the card issuer)
- timeout: "insert card", then silence; the terminal books nothing (result 6C in its journal)
- drop_after_approve: approves, stores the result, and closes the connection before it
  sends the status information
- slow_intermediate: intermediate status every ``interval`` seconds for ``duration``
  seconds, then approves

The refund (06 31) follows the scenarios decline and timeout as well and approves in the
others. An abort (06 B0) from the cash register during the card phase of a payment or a
refund ends it with result 6C. Reversal, end-of-day, status enquiry and repeat receipt work
in every scenario; repeat receipt resends the status information and receipt of the last
transaction.
"""

import argparse
import logging
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from stadtkasse.terminals.zvt import apdu as apdu_codec
from stadtkasse.terminals.zvt import messages
from stadtkasse.terminals.zvt.apdu import Apdu
from stadtkasse.terminals.zvt.bmp import decode_bcd, decode_fields
from stadtkasse.terminals.zvt.messages import StatusInformation

logger = logging.getLogger("stadtkasse_dev.zvt.simulator")

SCENARIOS = ("approve", "decline", "timeout", "drop_after_approve", "slow_intermediate")
TERMINAL_ID = "52500123"
DECLINE_CODE = 0x05
ABORT_CODE = 0x6C
REVERSAL_NOT_POSSIBLE = 0xB5
ALREADY_REVERSED = 0xB4
# Intermediate status codes: insert card, please wait, remove card.
INSERT_CARD = 0x0A
PLEASE_WAIT = 0x17
REMOVE_CARD = 0x0B


class _Aborted(Exception):
    """The cash register sent 06 B0 while the simulator waited."""


class _Dropped(Exception):
    """The simulator closes the connection on purpose."""


@dataclass
class JournalEntry:
    status: StatusInformation
    receipt: list[str]
    reversed: bool = False


@dataclass
class Journal:
    """The transactions the terminal booked, shared by all connections of one simulator."""

    entries: list[JournalEntry] = field(default_factory=list)
    next_trace: int = 1
    next_receipt: int = 1

    @property
    def last(self) -> JournalEntry | None:
        return self.entries[-1] if self.entries else None


class ZvtSimulator:
    """The terminal: a TCP server on 127.0.0.1 with a scenario that tests may change."""

    def __init__(
        self,
        port: int = 0,
        scenario: str = "approve",
        *,
        interval: float = 1.0,
        duration: float = 120.0,
        step_delay: float = 0.3,
    ):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
        self.scenario = scenario
        self.interval = interval
        self.duration = duration
        self.step_delay = step_delay
        self.journal = Journal()
        self.received: list[Apdu] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._server = socket.create_server(("127.0.0.1", port))
        self.port = self._server.getsockname()[1]
        self._thread: threading.Thread | None = None

    # ---- Server -----------------------------------------------------------------------

    def start(self) -> "ZvtSimulator":
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="zvt-sim")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        logger.info(
            "ZVT simulator listening on 127.0.0.1:%s, scenario %s", self.port, self.scenario
        )
        self._server.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                sock, _address = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        logger.info("ZVT simulator on port %s stopped", self.port)

    def _serve(self, sock: socket.socket) -> None:
        session = _Session(self, sock)
        try:
            session.run()
        except (_Dropped, ConnectionError, TimeoutError, OSError) as error:
            logger.info("simulator connection ended: %s", error.__class__.__name__)
        finally:
            sock.close()


class _Session:
    """One connection from the cash register."""

    def __init__(self, simulator: ZvtSimulator, sock: socket.socket):
        self.sim = simulator
        self.sock = sock
        self.buffer = b""

    # ---- Bytes ------------------------------------------------------------------------

    def _fill(self, size: int, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self.buffer) < size:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            ready, _, _ = select.select(
                [self.sock], [], [], remaining if remaining is not None else 1.0
            )
            if self.sim._stopped.is_set():
                raise _Dropped("simulator stopped")
            if not ready:
                continue
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("cash register closed the connection")
            self.buffer += chunk
        return True

    def receive(self, timeout: float | None = None) -> Apdu | None:
        if not self._fill(3, timeout):
            return None
        size = apdu_codec.header_length(self.buffer)
        self._fill(size, 5)
        total = size + apdu_codec.data_length(self.buffer[:size])
        self._fill(total, 5)
        frame, self.buffer = self.buffer[:total], self.buffer[total:]
        message = apdu_codec.decode(frame)
        self.sim.received.append(message)
        return message

    def send(self, message: Apdu) -> None:
        self.sock.sendall(message.encode())

    def send_and_wait_ack(self, message: Apdu) -> None:
        """Send a message and wait for 80 00 00; an abort request in between aborts."""
        self.send(message)
        while True:
            reply = self.receive(timeout=5)
            if reply is None:
                raise TimeoutError("no acknowledgement from the cash register")
            if apdu_codec.is_ack(reply):
                return
            if reply.command == messages.ABORT:
                raise _Aborted()

    def wait(self, seconds: float) -> None:
        """Wait like a terminal at the card phase, listening for an abort (06 B0)."""
        message = self.receive(timeout=seconds)
        if message is not None and message.command == messages.ABORT:
            raise _Aborted()

    # ---- Commands ---------------------------------------------------------------------

    def run(self) -> None:
        while True:
            command = self.receive()
            handler = {
                messages.REGISTRATION: self.registration,
                messages.AUTHORIZATION: self.authorization,
                messages.STATUS_ENQUIRY: self.status_enquiry,
                messages.REVERSAL: self.reversal,
                messages.REFUND: self.refund,
                messages.END_OF_DAY: self.end_of_day,
                messages.REPEAT_RECEIPT: self.repeat_receipt,
                messages.LOG_OFF: self.acknowledge_only,
                messages.ABORT: self.acknowledge_only,
            }.get(command.command)
            if handler is None:
                self.send(apdu_codec.nack(0x83))
                continue
            self.send(apdu_codec.ack())
            handler(command)

    def acknowledge_only(self, command: Apdu) -> None:
        return None

    def complete(self) -> None:
        self.send_and_wait_ack(messages.completion_apdu(TERMINAL_ID))

    def registration(self, command: Apdu) -> None:
        self.complete()

    def status_enquiry(self, command: Apdu) -> None:
        self.send_and_wait_ack(
            messages.status_information_apdu(
                StatusInformation(result_code=0, terminal_id=TERMINAL_ID)
            )
        )
        self.complete()

    def authorization(self, command: Apdu) -> None:
        fields = {item.tag: item.value for item in decode_fields(command.data)}
        amount = decode_bcd(fields[0x04])
        scenario = self.sim.scenario
        try:
            self.send_and_wait_ack(messages.intermediate_status_apdu(INSERT_CARD))
            if scenario == "slow_intermediate":
                started = time.monotonic()
                while time.monotonic() - started < self.sim.duration:
                    self.wait(self.sim.interval)
                    self.send_and_wait_ack(messages.intermediate_status_apdu(PLEASE_WAIT))
            else:
                self.wait(self.sim.step_delay)
            if scenario == "timeout":
                self._book(amount, ABORT_CODE)
                self.wait(3600)
                return
            self.send_and_wait_ack(messages.intermediate_status_apdu(PLEASE_WAIT))
            self.wait(self.sim.step_delay)
        except _Aborted:
            self._finish_declined(self._book(amount, ABORT_CODE))
            return

        if scenario == "decline":
            self._finish_declined(self._book(amount, DECLINE_CODE))
            return
        entry = self._book(amount, 0)
        if scenario == "drop_after_approve":
            raise _Dropped("connection dropped after the approval")
        self._finish_approved(entry)

    def _book(self, amount: int, result_code: int) -> JournalEntry:
        with self.sim._lock:
            journal = self.sim.journal
            now = datetime.now()
            status = StatusInformation(
                result_code=result_code,
                amount_cents=amount,
                trace_number=journal.next_trace,
                time=now.strftime("%H:%M:%S"),
                date=now.strftime("%d.%m."),
                terminal_id=TERMINAL_ID,
                currency=messages.EUR,
            )
            journal.next_trace += 1
            if result_code == 0:
                status.receipt_number = journal.next_receipt
                journal.next_receipt += 1
                status.card_number = "6805********1234"
                status.card_name = "girocard"
                status.card_type = 0x05
            entry = JournalEntry(status, _receipt(status))
            journal.entries.append(entry)
            return entry

    def _finish_approved(self, entry: JournalEntry) -> None:
        self.send_and_wait_ack(messages.status_information_apdu(entry.status))
        for index, line in enumerate(entry.receipt):
            self.send_and_wait_ack(
                messages.print_line_apdu(line, last=index == len(entry.receipt) - 1)
            )
        self.complete()

    def _finish_declined(self, entry: JournalEntry) -> None:
        self.send_and_wait_ack(messages.status_information_apdu(entry.status))
        self.send_and_wait_ack(messages.abort_apdu(entry.status.result_code))

    def reversal(self, command: Apdu) -> None:
        fields = {item.tag: item.value for item in decode_fields(command.data[3:])}
        receipt_number = decode_bcd(fields[0x87])
        with self.sim._lock:
            original = next(
                (
                    entry
                    for entry in self.sim.journal.entries
                    if entry.status.receipt_number == receipt_number and entry.status.approved
                ),
                None,
            )
            code = None
            if original is None:
                code = REVERSAL_NOT_POSSIBLE
            elif original.reversed:
                code = ALREADY_REVERSED
            else:
                original.reversed = True
        if code is not None:
            self.send_and_wait_ack(
                messages.status_information_apdu(StatusInformation(result_code=code))
            )
            self.send_and_wait_ack(messages.abort_apdu(code))
            return
        self._finish_approved(self._book(original.status.amount_cents, 0))

    def refund(self, command: Apdu) -> None:
        fields = {item.tag: item.value for item in decode_fields(command.data[3:])}
        amount = decode_bcd(fields[0x04])
        scenario = self.sim.scenario
        try:
            self.send_and_wait_ack(messages.intermediate_status_apdu(INSERT_CARD))
            self.wait(self.sim.step_delay)
            if scenario == "timeout":
                self._book(amount, ABORT_CODE)
                self.wait(3600)
                return
        except _Aborted:
            self._finish_declined(self._book(amount, ABORT_CODE))
            return
        if scenario == "decline":
            self._finish_declined(self._book(amount, DECLINE_CODE))
            return
        self._finish_approved(self._book(amount, 0))

    def end_of_day(self, command: Apdu) -> None:
        self.send_and_wait_ack(messages.intermediate_status_apdu(PLEASE_WAIT))
        with self.sim._lock:
            total = sum(
                entry.status.amount_cents
                for entry in self.sim.journal.entries
                if entry.status.approved and not entry.reversed
            )
        status = StatusInformation(result_code=0, amount_cents=total, terminal_id=TERMINAL_ID)
        self.send_and_wait_ack(messages.status_information_apdu(status))
        for line in ("KASSENSCHNITT", f"Terminal-ID {TERMINAL_ID}", f"Summe EUR {total / 100:.2f}"):
            self.send_and_wait_ack(messages.print_line_apdu(line))
        self.complete()

    def repeat_receipt(self, command: Apdu) -> None:
        last = self.sim.journal.last
        if last is None:
            self.send_and_wait_ack(messages.abort_apdu(0x83))
            return
        if last.status.approved:
            self._finish_approved(last)
        else:
            self._finish_declined(last)


def _receipt(status: StatusInformation) -> list[str]:
    if status.result_code != 0:
        return []
    euros = f"{status.amount_cents // 100},{status.amount_cents % 100:02d}"
    return [
        "KUNDENBELEG",
        f"Terminal-ID {status.terminal_id}",
        f"Datum {status.date} {status.time}",
        f"Beleg-Nr. {status.receipt_number:04d}  Trace-Nr. {status.trace_number:06d}",
        f"{status.card_name}  {status.card_number}",
        f"BETRAG EUR {euros}",
        "Zahlung erfolgt",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ZVT card terminal simulator on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=20007, help="TCP port on 127.0.0.1")
    parser.add_argument("--scenario", choices=SCENARIOS, default="approve")
    parser.add_argument(
        "--interval", type=float, default=2.0, help="seconds between intermediate status messages"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=120.0,
        help="seconds of intermediate status (slow_intermediate)",
    )
    parser.add_argument(
        "--step-delay",
        type=float,
        default=1.5,
        help="seconds the simulated customer needs per step",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        simulator = ZvtSimulator(
            arguments.port,
            arguments.scenario,
            interval=arguments.interval,
            duration=arguments.duration,
            step_delay=arguments.step_delay,
        )
    except OSError as error:
        logger.error("ZVT simulator not started: port %s: %s", arguments.port, error)
        raise SystemExit(1) from error
    try:
        simulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
