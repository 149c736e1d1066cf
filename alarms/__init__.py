"""alarms: rules as data, a pure evaluation engine over arrays of positions and fence geometry, the alarm
lifecycle, work orders and the durable outbox. Imports geo_core and coord_transform."""
