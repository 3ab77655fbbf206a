def navigation(request):
    """The navigation bar's links for the signed-in user (templates/base.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.partner_id is None:
        return {"nav_links": [("Admin", "/admin/"), ("API documentation", "/api/docs/")]}
    from .views import _links_for

    links = [(title, url) for title, url, _ in _links_for(user)]
    if user.has_any_role("partner_admin") or len(links) > 2:
        links.insert(0, ("Overview", "/overview/"))
    return {"nav_links": links}
