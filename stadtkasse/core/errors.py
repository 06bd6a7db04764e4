"""The base of the user-facing errors of every app: a machine code and translated sentences.

Each app keeps its sentences in one place, keyed by a code that also travels in the API
and in logs, so that a till or another service can react to the code without parsing
text. ``message`` is the sentence for the user in the active language (German by
default), ``english_message`` the English one for the API, and ``log_message`` the English
one for logs, with values that may be personal masked.
"""

from typing import ClassVar

from django.utils import translation


class CodedError(Exception):
    """A request that cannot be carried out; nothing was stored.

    Subclasses set ``messages`` (code to a lazily translated sentence with named
    placeholders) and ``personal_params`` (placeholders that never go into a log line).
    """

    messages: ClassVar[dict] = {}
    personal_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, code: str, /, **params):
        if code not in self.messages:
            raise KeyError(f"no message for error code {code!r}")
        self.code = code
        self.params = {key: str(value) for key, value in params.items()}
        super().__init__(self.log_message)

    def __reduce__(self):
        # Pickled as code and parameters, so that the error can come from another process.
        return (_rebuild, (type(self), self.code, self.params))

    @property
    def message(self) -> str:
        """The sentence for the user in the active language."""
        return str(self.messages[self.code]) % self.params

    @property
    def english_message(self) -> str:
        """The sentence in English, for the API."""
        with translation.override("en"):
            return str(self.messages[self.code]) % self.params

    @property
    def log_message(self) -> str:
        """The English sentence, with personal values masked, after the code."""
        masked = {
            key: ("<redacted>" if key in self.personal_params else value)
            for key, value in self.params.items()
        }
        with translation.override("en"):
            return f"{self.code}: " + str(self.messages[self.code]) % masked


def _rebuild(error_class: type[CodedError], code: str, params: dict) -> CodedError:
    return error_class(code, **params)
