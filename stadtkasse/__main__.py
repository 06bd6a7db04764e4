"""Run Django management commands: ``python -m stadtkasse <command>``."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stadtkasse.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([f"{sys.executable} -m stadtkasse", *sys.argv[1:]])


if __name__ == "__main__":
    main()
