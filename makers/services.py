"""Writes about makers: profiles (production reports come with their own services)."""

from tilab.models import Department, User

from .models import Maker


def maker_profile_save(
    *,
    user: User,
    display_name: str,
    department: Department,
    commune: str = "",
    skills: str = "",
    equipment: str = "",
    is_public: bool = False,
) -> Maker:
    """Create or update the maker profile attached to `user` (one profile per account).

    update_or_create locks the row and retries on the unique user, so two simultaneous
    submissions leave one profile.
    """
    maker, _created = Maker.objects.update_or_create(
        user=user,
        defaults={
            "display_name": display_name.strip(),
            "department": department,
            "commune": commune.strip(),
            "skills": skills.strip(),
            "equipment": equipment.strip(),
            "is_public": is_public,
        },
    )
    return maker
