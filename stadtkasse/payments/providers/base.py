"""The interface every payment provider implements.

The interface fits redirect flows: Stadtkasse creates a payment, the provider returns the
address to send the citizen to, and the result arrives as a server-to-server notification,
on the citizen's return, or by asking the provider for the status. Each of these may come
twice or late; the payment services apply them idempotently.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar


class ProviderError(Exception):
    """The provider could not be reached or rejected a request; the message is English."""


@dataclass
class ProviderResult:
    """The state of a payment as the provider reports it."""

    payment_reference: str
    state: str
    provider_reference: str = ""
    amount_cents: int | None = None
    data: dict = field(default_factory=dict)


@dataclass
class Redirect:
    url: str
    provider_reference: str = ""


@dataclass
class RefundResult:
    done: bool
    provider_reference: str = ""


class PaymentProvider(ABC):
    identifier: ClassVar[str]
    # Name shown to citizens; a lazy translation.
    name: ClassVar[object]
    # The payment method a payment through this provider is booked as.
    method: ClassVar[str] = "epay"
    # Whether refund() can send money back; where not, a refund goes out by bank transfer.
    can_refund: ClassVar[bool] = True

    @classmethod
    def is_available(cls) -> bool:
        """Tell whether this installation offers the provider."""
        return True

    @abstractmethod
    def initiate(self, payment, *, return_url: str, notify_url: str) -> Redirect:
        """Create the payment at the provider; return where to send the citizen."""

    @abstractmethod
    def parse_return(self, payment, params: Mapping[str, str]) -> ProviderResult | None:
        """Read the citizen's return; None where the return carries no trustworthy state."""

    @abstractmethod
    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ProviderResult:
        """Check and read a notification; raise ProviderError for one that fails the check."""

    @abstractmethod
    def fetch_status(self, payment) -> ProviderResult | None:
        """Ask the provider for the state; None where the provider offers no such call."""

    @abstractmethod
    def refund(self, payment, amount_cents: int) -> RefundResult:
        """Send money back to the payer."""
