"""The rule types, one declaration each (see `alarms.catalogue`). Importing this package registers them all; the
order here is the order of the catalogue and the docs."""

from alarms.rules import person, zone, permit, contractor, welder, feed, equipment, upkeep  # noqa: F401, I001
