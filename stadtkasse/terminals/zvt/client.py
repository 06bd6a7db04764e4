"""A synchronous ZVT client over TCP: one command dialogue at a time, with timeouts.

Each call opens a connection, registers (06 00) where asked, runs one command until the
terminal completes (06 0F) or aborts (06 1E) it, and closes the connection. Every message
from the terminal restarts the idle timer, so a customer who needs minutes at the PIN pad
does not time the payment out as long as the terminal keeps sending intermediate status.
"""

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from stadtkasse.terminals.zvt import apdu as apdu_codec
from stadtkasse.terminals.zvt import messages
from stadtkasse.terminals.zvt.apdu import Apdu, ProtocolError
from stadtkasse.terminals.zvt.messages import (
    Completion,
    IntermediateStatus,
    StatusInformation,
)

logger = logging.getLogger(__name__)

# While waiting for the terminal, the client wakes this often to check for an abort request.
POLL_SECONDS = 0.25
# Error code of a negative acknowledgement for a message the client does not handle
# ("function not possible").
NACK_NOT_POSSIBLE = 0x83


class TerminalError(Exception):
    """A command could not be carried out on the terminal; the message is English."""


class TerminalUnreachable(TerminalError):
    """No connection to the terminal; nothing was sent."""


class CommandRejected(TerminalError):
    """The terminal rejected the command with a negative acknowledgement (84 xx)."""

    def __init__(self, command: Apdu, error_code: int):
        self.error_code = error_code
        super().__init__(f"terminal rejected {command} with error code {error_code:02X}")


class ResultUnknown(TerminalError):
    """The dialogue broke off after the command was sent; the outcome is not known.

    ``outcome`` contains what arrived before the break. A status information with result
    00 in it does not prove the payment, because a terminal reverses a payment whose
    status information the cash register did not acknowledge.
    """

    def __init__(self, message: str, outcome: "Outcome"):
        self.outcome = outcome
        super().__init__(message)


class ConnectionLost(ResultUnknown):
    """The terminal closed the connection in the middle of a dialogue."""


class TerminalTimeout(ResultUnknown):
    """The terminal sent nothing for longer than the idle timeout."""


@dataclass
class Outcome:
    """The messages the terminal sent for one command."""

    command: tuple[int, int]
    status: StatusInformation | None = None
    completion: Completion | None = None
    receipt_lines: list[str] = field(default_factory=list)
    intermediate: list[IntermediateStatus] = field(default_factory=list)
    abort_sent: bool = False

    @property
    def result_code(self) -> int | None:
        if self.status is not None and self.status.result_code is not None:
            return self.status.result_code
        if self.completion is not None:
            return self.completion.result_code
        return None

    @property
    def success(self) -> bool:
        """True when the command completed (06 0F) with result code 00 or none."""
        if self.completion is None or self.completion.aborted:
            return False
        return self.result_code in (None, 0)


class _Connection:
    """A TCP connection that reads whole APDUs with a deadline."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def send(self, apdu: Apdu) -> None:
        self.sock.sendall(apdu.encode())

    def _read(self, size: int, deadline: float) -> bytes | None:
        while len(self.buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(min(remaining, POLL_SECONDS))
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                return None
            if not chunk:
                raise EOFError("connection closed by the terminal")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def receive(self, deadline: float) -> Apdu | None:
        """Return the next APDU, or None when none is complete by the deadline or the poll.

        A partly received APDU stays in the buffer and is completed by the next call.
        """
        header = self._peek(3, deadline)
        if header is None:
            return None
        size = apdu_codec.header_length(header)
        header = self._peek(size, deadline)
        if header is None:
            return None
        total = size + apdu_codec.data_length(header)
        frame = self._read(total, deadline)
        if frame is None:
            return None
        return apdu_codec.decode(frame)

    def _peek(self, size: int, deadline: float) -> bytes | None:
        data = self._read(size, deadline)
        if data is None:
            return None
        self.buffer = data + self.buffer
        return data

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ZvtClient:
    """Run ZVT commands on one terminal. Not thread-safe: one dialogue at a time."""

    def __init__(
        self,
        host: str,
        port: int,
        password: str = "000000",
        *,
        connect_timeout: float = 5.0,
        ack_timeout: float = 5.0,
        idle_timeout: float = 60.0,
        register: bool = True,
    ):
        self.host = host
        self.port = port
        self.password = password
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self.idle_timeout = idle_timeout
        self.register_first = register

    # ---- Commands ---------------------------------------------------------------------

    def authorize(
        self,
        amount_cents: int,
        *,
        on_intermediate: Callable[[IntermediateStatus], None] | None = None,
        should_abort: Callable[[], bool] | None = None,
    ) -> Outcome:
        """Take a card payment; raise ResultUnknown when the dialogue breaks off."""
        return self.run(
            messages.authorization(amount_cents),
            on_intermediate=on_intermediate,
            should_abort=should_abort,
        )

    def reverse(self, receipt_number: int) -> Outcome:
        return self.run(messages.reversal(self.password, receipt_number))

    def refund(self, amount_cents: int, *, on_intermediate=None, should_abort=None) -> Outcome:
        return self.run(
            messages.refund(self.password, amount_cents),
            on_intermediate=on_intermediate,
            should_abort=should_abort,
        )

    def end_of_day(self, *, on_intermediate=None) -> Outcome:
        return self.run(messages.end_of_day(self.password), on_intermediate=on_intermediate)

    def status_enquiry(self) -> Outcome:
        return self.run(messages.status_enquiry(self.password), register=False)

    def repeat_receipt(self) -> Outcome:
        """Ask for the last receipt again; the terminal resends its status information."""
        return self.run(messages.repeat_receipt(self.password))

    def log_off(self) -> None:
        self.run(messages.log_off(), register=False, until_ack=True)

    def abort(self) -> None:
        """Send 06 B0 on a connection of its own, for a terminal that is not in a dialogue."""
        self.run(messages.abort(), register=False, until_ack=True)

    # ---- Dialogue ---------------------------------------------------------------------

    def run(
        self,
        command: Apdu,
        *,
        on_intermediate: Callable[[IntermediateStatus], None] | None = None,
        should_abort: Callable[[], bool] | None = None,
        register: bool | None = None,
        until_ack: bool = False,
    ) -> Outcome:
        """Send a command and take part in the dialogue until the terminal ends it."""
        connection = self._connect()
        try:
            if self.register_first if register is None else register:
                registration = self._dialogue(
                    connection, messages.registration(self.password), None, None, False
                )
                if registration.completion is None or registration.completion.aborted:
                    raise TerminalError(
                        f"registration failed with result code {registration.result_code}"
                    )
            return self._dialogue(connection, command, on_intermediate, should_abort, until_ack)
        finally:
            connection.close()

    def _connect(self) -> _Connection:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as error:
            logger.warning("terminal %s:%s unreachable: %s", self.host, self.port, error)
            raise TerminalUnreachable(
                f"terminal {self.host}:{self.port} unreachable: {error}"
            ) from error
        return _Connection(sock)

    def _dialogue(self, connection, command, on_intermediate, should_abort, until_ack) -> Outcome:
        outcome = Outcome(command=command.command)
        logger.info("terminal %s:%s: sending %s", self.host, self.port, command)
        try:
            connection.send(command)
            self._wait_for_ack(connection, command)
        except (OSError, EOFError) as error:
            # Nothing was acknowledged: the terminal did not take the command.
            raise TerminalUnreachable(f"terminal did not take {command}: {error}") from error
        if until_ack:
            return outcome

        deadline = time.monotonic() + self.idle_timeout
        while True:
            try:
                if should_abort is not None and not outcome.abort_sent and should_abort():
                    logger.info("terminal %s:%s: sending abort (06 B0)", self.host, self.port)
                    connection.send(messages.abort())
                    outcome.abort_sent = True
                message = connection.receive(deadline)
            except (OSError, EOFError) as error:
                raise ConnectionLost(
                    f"connection lost during {command}: {error}", outcome
                ) from error
            if message is None:
                if time.monotonic() >= deadline:
                    raise TerminalTimeout(
                        f"no message from the terminal for {self.idle_timeout} s during {command}",
                        outcome,
                    )
                continue

            deadline = time.monotonic() + self.idle_timeout
            if self._handle(connection, message, outcome, on_intermediate):
                logger.info(
                    "terminal %s:%s: %s ended, result code %s",
                    self.host,
                    self.port,
                    command,
                    outcome.result_code,
                )
                return outcome

    def _wait_for_ack(self, connection: _Connection, command: Apdu) -> None:
        deadline = time.monotonic() + self.ack_timeout
        while True:
            reply = connection.receive(deadline)
            if reply is None:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"no acknowledgement within {self.ack_timeout} s")
                continue
            if apdu_codec.is_ack(reply):
                return
            if apdu_codec.is_nack(reply):
                raise CommandRejected(command, reply.ins)
            raise ProtocolError(f"acknowledgement expected after {command}, got {reply}")

    def _handle(self, connection, message: Apdu, outcome: Outcome, on_intermediate) -> bool:
        """Acknowledge one message and record it; return True when it ends the dialogue."""
        kind = message.command
        if apdu_codec.is_ack(message):
            return False  # the terminal acknowledged our abort request
        if kind in (messages.COMPLETION, messages.ABORT_FROM_TERMINAL):
            outcome.completion = messages.parse_completion(message)
            connection.send(apdu_codec.ack())
            return True
        if kind == messages.INTERMEDIATE_STATUS:
            status = messages.parse_intermediate_status(message)
            outcome.intermediate.append(status)
            connection.send(apdu_codec.ack())
            if on_intermediate is not None:
                on_intermediate(status)
        elif kind == messages.STATUS_INFORMATION:
            outcome.status = messages.parse_status_information(message)
            connection.send(apdu_codec.ack())
        elif kind == messages.PRINT_LINE:
            outcome.receipt_lines.append(messages.parse_print_line(message).text)
            connection.send(apdu_codec.ack())
        elif kind == messages.PRINT_TEXT_BLOCK:
            outcome.receipt_lines.extend(messages.parse_print_text_block(message))
            connection.send(apdu_codec.ack())
        else:
            logger.warning("terminal %s:%s sent unhandled %s", self.host, self.port, message)
            connection.send(apdu_codec.nack(NACK_NOT_POSSIBLE))
        return False
