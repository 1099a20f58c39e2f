"""Text written into CSV files that people open in a spreadsheet."""

# Excel, LibreOffice and Google Sheets run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet will not run: behind an apostrophe when it starts like a formula, as
    Excel shows text typed that way. For free text only (names, references), never numbers."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
