"""Payment providers behind one interface, looked up by their identifier."""

from stadtkasse.payments.providers.base import PaymentProvider, ProviderError, ProviderResult

_registry: dict[str, type[PaymentProvider]] = {}


def register(cls: type[PaymentProvider]) -> type[PaymentProvider]:
    _registry[cls.identifier] = cls
    return cls


def get_provider(identifier: str) -> PaymentProvider:
    """Return the provider with this identifier; raise KeyError for an unknown one."""
    from stadtkasse.payments.providers import demo  # noqa: F401  (registers itself)

    return _registry[identifier]()


def online_providers() -> list[PaymentProvider]:
    """Providers a citizen can choose in the portal, in display order."""
    from stadtkasse.payments.providers import demo  # noqa: F401

    return [cls() for cls in _registry.values() if cls.is_available()]


__all__ = [
    "PaymentProvider",
    "ProviderError",
    "ProviderResult",
    "get_provider",
    "online_providers",
    "register",
]
