"""Dates as each language writes them, one format per context (FORMAT_MODULE_PATH).

Templates name the context, never a pattern: `|date:"DATE_FORMAT"` in a sentence or an e-mail
("18 juin 2020", "18 June 2020"), `|date:"SHORT_DATE_FORMAT"` in a table ("18/06/2020",
"18 Jun 2020"), and their `DATETIME` twins when the time matters. Month names are written in
full in French, where the abbreviations are ambiguous ("jui": juin or juillet?); English tables
abbreviate them, which reads unambiguously where "06/07/2020" would not.
"""
