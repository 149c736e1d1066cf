"""GB/T 28181 device and channel codes (编码规则 A): 20 decimal digits, centre code (8: the GB/T 2260 region of the
monitoring centre, padded with 0), industry (2), type (3), network (1), serial (6). Pure: no Django.

A video channel's type is a front-end camera: 131 camera, 132 network camera (IPC), 138 mobile transmission device
(body cameras, drones: they carry their own channel)."""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE = re.compile(r"[0-9]{20}")
CHANNEL_TYPES = {"131": "camera", "132": "network camera", "138": "mobile transmission device"}


@dataclass(frozen=True)
class Code:
    text: str

    @property
    def centre(self) -> str:
        return self.text[:8]

    @property
    def region(self) -> str:
        """The GB/T 2260 region code of the centre (6 digits: province, city, district)."""
        return self.text[:6]

    @property
    def industry(self) -> str:
        return self.text[8:10]

    @property
    def type(self) -> str:
        return self.text[10:13]

    @property
    def network(self) -> str:
        return self.text[13]

    @property
    def serial(self) -> str:
        return self.text[14:]


def channel_code(value: object) -> Code:
    """A channel's code, or ValueError saying what is wrong with it."""
    if not isinstance(value, str):
        raise ValueError(f"must be a text of 20 digits, not {type(value).__name__}")
    text = value.strip()
    if not CODE.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not 20 decimal digits (GB/T 28181 编码规则 A)")
    code = Code(text)
    if code.region[:2] == "00":
        raise ValueError(f"{text}: its centre code {code.centre} names no province (GB/T 2260)")
    if code.type not in CHANNEL_TYPES:
        known = ", ".join(f"{k} {v}" for k, v in CHANNEL_TYPES.items())
        raise ValueError(f"{text}: type code {code.type} is not a camera's; a channel is one of {known}")
    return code
