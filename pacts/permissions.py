"""Who may act on cooperation pacts.

Drafting a pact is for those who speak for a public body or a commons organisation: Ti Lab's
facilitators, the Région's staff, and the managers of an organisation. A pact's text is edited,
proposed and amended by its stewards (who drafted it, facilitators, Région staff); each party
signs through its own representative only; the facilitators and the Région follow what is due.
A signature commits public money when a party commits money: it then needs the second factor,
as every money decision does."""

import rules

from tilab.permissions import add_money_perm, is_auditor, is_facilitator, is_region_staff


@rules.predicate
def manages_an_organisation(user):
    if not user.is_authenticated:
        return False
    from makers.models import Membership

    return Membership.objects.filter(maker__user=user, is_manager=True).exists()


@rules.predicate
def drafted(user, pact):
    return pact is not None and pact.created_by_id == user.pk


@rules.predicate
def represents_a_party(user, pact):
    if pact is None or not user.is_authenticated:
        return False
    from .models import Party

    return Party.objects.filter(version__pact=pact, representative=user).exists()


may_draft = is_facilitator | is_region_staff | manages_an_organisation

rules.add_perm("pacts.create", may_draft)
# The text of a pact: who drafted it, and the network's people (facilitators, Région).
rules.add_perm("pacts.steward", is_facilitator | is_region_staff | drafted)
# Every pact, drafts included, to follow them; the auditor reads.
rules.add_perm("pacts.view_all", is_facilitator | is_region_staff | is_auditor)
rules.add_perm("pacts.follow_up", is_facilitator | is_region_staff)
# A signed pact's steps (start, report, end): its parties' representatives, and those who
# follow pacts.
rules.add_perm("pacts.act", is_facilitator | is_region_staff | represents_a_party)
# A representative's signature committing money: the second factor first.
add_money_perm("pacts.sign_money", rules.is_authenticated)
