"""Where Breton communes are, roughly: enough to put a dot on the directory's map.

Coordinates are public geographic knowledge, rounded to two decimals (about a kilometre): a
commune's centre, never an address. A commune missing from the table is placed at the centre of
its department, and says so (`Place.exact` is False), so the map never invents precision.
"""

import re
import unicodedata
from dataclasses import dataclass

# Name → (department, latitude, longitude). The four departments of Brittany: the prefectures
# and sub-prefectures, then the towns where makers and FabLabs were active.
COMMUNES: dict[str, tuple[str, float, float]] = {
    # Finistère
    "Brest": ("29", 48.39, -4.49),
    "Quimper": ("29", 48.00, -4.10),
    "Morlaix": ("29", 48.58, -3.83),
    "Châteaulin": ("29", 48.20, -4.09),
    "Douarnenez": ("29", 48.09, -4.33),
    "Landerneau": ("29", 48.45, -4.25),
    "Concarneau": ("29", 47.87, -3.92),
    "Quimperlé": ("29", 47.87, -3.55),
    "Carhaix-Plouguer": ("29", 48.28, -3.57),
    "Plouzané": ("29", 48.38, -4.62),
    "Guipavas": ("29", 48.43, -4.40),
    "Le Relecq-Kerhuon": ("29", 48.41, -4.40),
    "Plougastel-Daoulas": ("29", 48.37, -4.37),
    "Landivisiau": ("29", 48.51, -4.07),
    "Lesneven": ("29", 48.57, -4.32),
    "Crozon": ("29", 48.25, -4.49),
    "Pont-l'Abbé": ("29", 47.87, -4.22),
    "Fouesnant": ("29", 47.89, -4.01),
    "Saint-Pol-de-Léon": ("29", 48.68, -3.99),
    "Roscoff": ("29", 48.73, -3.98),
    "Briec": ("29", 48.10, -3.99),
    "Audierne": ("29", 48.02, -4.54),
    "Pont-Aven": ("29", 47.86, -3.75),
    "Ergué-Gabéric": ("29", 47.99, -4.02),
    "Châteauneuf-du-Faou": ("29", 48.19, -3.82),
    # Côtes-d'Armor
    "Saint-Brieuc": ("22", 48.51, -2.76),
    "Lannion": ("22", 48.73, -3.46),
    "Dinan": ("22", 48.45, -2.05),
    "Guingamp": ("22", 48.56, -3.15),
    "Loudéac": ("22", 48.18, -2.75),
    "Paimpol": ("22", 48.78, -3.05),
    "Lamballe-Armor": ("22", 48.47, -2.52),
    "Plérin": ("22", 48.53, -2.77),
    "Ploufragan": ("22", 48.49, -2.79),
    "Langueux": ("22", 48.49, -2.72),
    "Perros-Guirec": ("22", 48.81, -3.44),
    "Tréguier": ("22", 48.79, -3.23),
    "Rostrenen": ("22", 48.24, -3.32),
    "Quintin": ("22", 48.40, -2.91),
    "Pléneuf-Val-André": ("22", 48.59, -2.55),
    "Plancoët": ("22", 48.52, -2.24),
    "Broons": ("22", 48.32, -2.26),
    "Callac": ("22", 48.40, -3.43),
    "Saint-Quay-Portrieux": ("22", 48.65, -2.83),
    # Morbihan
    "Vannes": ("56", 47.66, -2.76),
    "Lorient": ("56", 47.75, -3.37),
    "Pontivy": ("56", 48.07, -2.96),
    "Auray": ("56", 47.67, -2.98),
    "Ploërmel": ("56", 47.93, -2.40),
    "Lanester": ("56", 47.76, -3.34),
    "Hennebont": ("56", 47.80, -3.28),
    "Ploemeur": ("56", 47.73, -3.43),
    "Guidel": ("56", 47.79, -3.49),
    "Quiberon": ("56", 47.48, -3.12),
    "Carnac": ("56", 47.58, -3.08),
    "Questembert": ("56", 47.66, -2.45),
    "Muzillac": ("56", 47.55, -2.48),
    "Josselin": ("56", 47.95, -2.55),
    "Locminé": ("56", 47.89, -2.84),
    "Baud": ("56", 47.87, -3.02),
    "Séné": ("56", 47.62, -2.74),
    "Saint-Avé": ("56", 47.69, -2.74),
    "Sarzeau": ("56", 47.53, -2.77),
    "Guer": ("56", 47.91, -2.12),
    "Malestroit": ("56", 47.81, -2.38),
    "Le Faouët": ("56", 48.03, -3.49),
    "Gourin": ("56", 48.14, -3.61),
    "La Gacilly": ("56", 47.77, -2.13),
    # Ille-et-Vilaine
    "Rennes": ("35", 48.11, -1.68),
    "Saint-Malo": ("35", 48.65, -2.01),
    "Fougères": ("35", 48.35, -1.20),
    "Vitré": ("35", 48.12, -1.21),
    "Redon": ("35", 47.65, -2.08),
    "Dinard": ("35", 48.63, -2.06),
    "Cesson-Sévigné": ("35", 48.12, -1.60),
    "Bruz": ("35", 48.02, -1.75),
    "Saint-Jacques-de-la-Lande": ("35", 48.09, -1.72),
    "Pacé": ("35", 48.15, -1.77),
    "Betton": ("35", 48.18, -1.64),
    "Chantepie": ("35", 48.09, -1.62),
    "Liffré": ("35", 48.21, -1.51),
    "Châteaugiron": ("35", 48.05, -1.50),
    "Guichen": ("35", 47.97, -1.80),
    "Janzé": ("35", 47.96, -1.50),
    "Bain-de-Bretagne": ("35", 47.84, -1.68),
    "Montfort-sur-Meu": ("35", 48.14, -1.96),
    "Montauban-de-Bretagne": ("35", 48.20, -2.05),
    "Combourg": ("35", 48.41, -1.75),
    "Cancale": ("35", 48.68, -1.85),
    "Dol-de-Bretagne": ("35", 48.55, -1.75),
    "Saint-Aubin-du-Cormier": ("35", 48.26, -1.40),
    "La Guerche-de-Bretagne": ("35", 47.94, -1.23),
}

# Other names people type for the same commune (before or after a merger of communes).
ALIASES = {
    "Carhaix": "Carhaix-Plouguer",
    "Lamballe": "Lamballe-Armor",
    "Le Relecq Kerhuon": "Le Relecq-Kerhuon",
    "Val-André": "Pléneuf-Val-André",
}

# Roughly the middle of each department: where a commune the table does not know is put.
DEPARTMENT_CENTRES: dict[str, tuple[float, float]] = {
    "29": (48.25, -4.05),
    "22": (48.40, -2.85),
    "56": (47.85, -2.85),
    "35": (48.15, -1.65),
}


def commune_normalise(name: str) -> str:
    """The key a commune's name is looked up by: no accents, case, postcode, "CEDEX",
    hyphens or apostrophes; "St"/"Ste" read as "Saint"/"Sainte".

    "ST-MALO", "saint malo", "35400 Saint-Malo" and "Saint-Malo Cedex" give the same key.
    """
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"[\-‐‑–—'’_.,/()]", " ", text)
    text = re.sub(r"\d+", " ", text)
    words = [word for word in text.split() if word != "cedex"]
    words = [{"st": "saint", "ste": "sainte"}.get(word, word) for word in words]
    return " ".join(words)


_INDEX: dict[str, tuple[str, str, float, float]] = {
    commune_normalise(name): (name, *place) for name, place in COMMUNES.items()
}
_INDEX.update(
    {commune_normalise(alias): (name, *COMMUNES[name]) for alias, name in ALIASES.items()}
)


@dataclass(frozen=True)
class Place:
    """Where to put a commune on the map: `exact` is False for a department's centre."""

    name: str
    department: str
    lat: float
    lon: float
    exact: bool


def commune_locate(name: str, department: str) -> Place | None:
    """The commune's approximate position; the department's centre for a commune the table
    does not know (or knows in another department: a homonym, or a typing slip); None only
    for a department outside Brittany, which the map does not draw."""
    found = _INDEX.get(commune_normalise(name))
    if found is not None and found[1] == department:
        official, dept, lat, lon = found
        return Place(name=official, department=dept, lat=lat, lon=lon, exact=True)
    centre = DEPARTMENT_CENTRES.get(department)
    if centre is None:
        return None
    return Place(
        name=(name or "").strip(), department=department, lat=centre[0], lon=centre[1], exact=False
    )


def commune_display_name(name: str) -> str:
    """The table's spelling of a known commune ("st malo" → "Saint-Malo"), else the name as
    typed, trimmed."""
    found = _INDEX.get(commune_normalise(name))
    return found[0] if found is not None else (name or "").strip()
