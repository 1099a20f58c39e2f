"""The API's error codes as a Markdown table: printed, or written into the README between its
markers (`--readme`). A test checks that the README's table is the one this prints."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tilab.api_errors import error_codes

BEGIN = "<!-- error codes: begin (python manage.py error_codes --readme) -->"
END = "<!-- error codes: end -->"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def error_codes_table() -> str:
    lines = [
        "| code | HTTP | declared in | message (French, as sent) |",
        "|---|---|---|---|",
    ]
    for each in error_codes():
        declared_in = ", ".join(f"`{module}`" for module in each.declared_in)
        lines.append(f"| `{each.code}` | {each.status} | {declared_in} | {_cell(each.message)} |")
    return "\n".join(lines)


def readme_with_table(readme: str) -> str:
    """The README with its table of codes replaced by the current one."""
    try:
        start = readme.index(BEGIN) + len(BEGIN)
        end = readme.index(END, start)
    except ValueError as missing:
        raise CommandError(f"The README has no {BEGIN!r} … {END!r} markers.") from missing
    return f"{readme[:start]}\n{error_codes_table()}\n{readme[end:]}"


class Command(BaseCommand):
    help = "Print the API's error codes as a Markdown table, or write it into README.md."

    def add_arguments(self, parser):
        parser.add_argument(
            "--readme", action="store_true", help="Rewrite the table in README.md in place."
        )

    def handle(self, *args, readme=False, **options):
        if not readme:
            self.stdout.write(error_codes_table())
            return
        path = Path(settings.BASE_DIR) / "README.md"
        path.write_text(readme_with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"{len(error_codes())} codes written to {path}")
