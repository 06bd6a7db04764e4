"""Payment providers behind one interface, looked up by their identifier.

The modules listed in settings.PAYMENT_PROVIDERS are imported on first use; each
registers its provider classes with ``register``. The order of that list is the order
in which the portal offers the providers.
"""

from importlib import import_module

from django.conf import settings

from stadtkasse.payments.providers.base import PaymentProvider, ProviderError, ProviderResult

_registry: dict[str, type[PaymentProvider]] = {}
_loaded = False


def register(cls: type[PaymentProvider]) -> type[PaymentProvider]:
    _registry[cls.identifier] = cls
    return cls


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in settings.PAYMENT_PROVIDERS:
            import_module(module)
        _loaded = True


def get_provider(identifier: str) -> PaymentProvider:
    """Return the provider with this identifier; raise KeyError for an unknown one."""
    _load()
    return _registry[identifier]()


def provider_name(identifier: str) -> str | None:
    """Return the name of a provider for staff and citizens, or None for an unknown one."""
    _load()
    provider = _registry.get(identifier)
    if provider is None:
        return None
    return str(provider().name)


def online_providers() -> list[PaymentProvider]:
    """Providers a citizen can choose in the portal, in display order."""
    _load()
    return [cls() for cls in _registry.values() if cls.is_available()]


__all__ = [
    "PaymentProvider",
    "ProviderError",
    "ProviderResult",
    "get_provider",
    "online_providers",
    "provider_name",
    "register",
]
