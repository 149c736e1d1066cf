"""Who counts by place: the park's supervisors (every district) and district officers (their own). Complaints,
report files and the kept counts answer these two by district; this is the one place that says which districts."""

from __future__ import annotations

from geo_core.access import Access, DeniedError


def districts(access: Access, what: str) -> frozenset[int] | None:
    """The district ids the caller answers for; None for every district. Anyone else is refused, naming `what`."""
    if access.role == "supervisor" or access.scope.everything:
        return None
    if access.role == "district" and access.scope.districts is not None:
        return frozenset(access.scope.districts)
    raise DeniedError(f"{what} are the authorities' (city and districts)")


def by_place(access: Access) -> bool:
    """Whether the caller is one who counts by place."""
    try:
        districts(access, "counts")
    except DeniedError:
        return False
    return True
