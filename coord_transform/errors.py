"""Errors that say which input is wrong and why, so an API can answer 400 with something a user can act on."""

from __future__ import annotations


class TransformError(ValueError):
    """Bad transform input. `index` is the first offending point (flat index) when one is to blame."""

    def __init__(self, reason: str, index: int | None = None, field: str | None = None) -> None:
        self.reason = reason
        self.index = index
        self.field = field
        where = []
        if index is not None:
            where.append(f"index {index}")
        if field:
            where.append(field)
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"error": str(self), "reason": self.reason}
        if self.index is not None:
            out["index"] = self.index
        if self.field:
            out["field"] = self.field
        return out


class CalibrationError(ValueError):
    """A calibration could not be fitted or was refused; `report` holds the residuals when there are some."""

    def __init__(self, reason: str, report: object | None = None) -> None:
        self.reason = reason
        self.report = report
        super().__init__(reason)
