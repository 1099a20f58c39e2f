"""`{% organisation_links organisation %}` and `{% maker_links maker %}`: a directory page's
cooperation links, as the viewer may see them (network/_links.html)."""

from django import template

from recognition import links

register = template.Library()


def _viewer(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("network/_links.html", takes_context=True)
def organisation_links(context, organisation):
    return links.links_for_organisation(organisation, _viewer(context))


@register.inclusion_tag("network/_links.html", takes_context=True)
def maker_links(context, maker):
    return links.links_for_maker(maker, _viewer(context))
