"""A network the size of spring 2020's: 600 makers in the four departments, members of FabLabs
with long names, built in a few bulk inserts."""

from makers.models import Maker, Membership
from tests.factories import make_organisation

DEPARTMENTS = ("22", "29", "35", "56")
LONG_NAME = "Association des Couturières Solidaires du Pays de Landerneau-Daoulas"


def six_hundred_makers() -> dict:
    """Four FabLabs per department (one with a long name in Finistère), 150 makers per
    department, each a member of one FabLab of theirs, a few also of a FabLab next door."""
    organisations = {
        code: [
            make_organisation(
                name=LONG_NAME if (code, n) == ("29", 0) else f"FabLab {code}-{n}",
                department=code,
            )
            for n in range(4)
        ]
        for code in DEPARTMENTS
    }
    makers = Maker.objects.bulk_create(
        Maker(display_name=f"Maker {code}-{n:03d}", department_id=code)
        for code in DEPARTMENTS
        for n in range(150)
    )
    memberships = []
    for index, maker in enumerate(makers):
        own = organisations[maker.department_id]
        memberships.append(Membership(maker=maker, organisation=own[index % 4]))
        if index % 50 == 0:  # a few cross into the next department
            code = DEPARTMENTS[(DEPARTMENTS.index(maker.department_id) + 1) % 4]
            memberships.append(Membership(maker=maker, organisation=organisations[code][0]))
    Membership.objects.bulk_create(memberships)
    return organisations
