"""Special-operation permit codes (AQ 3064.2-2025) and GB 30871-2022 limits, as plain data.

No Django here, so the scene generator and the alarm engine can use them without a database.
"""

from __future__ import annotations

from datetime import timedelta

# AQ 3064.2 TICKETTYPE: code -> (enum name, label). The first digit groups the 8 GB 30871 operation types.
TICKET_TYPES: dict[str, tuple[str, str]] = {
    "01": ("HOT_WORK_SPECIAL", "动火作业(特级)"),
    "02": ("HOT_WORK_1", "动火作业(一级)"),
    "03": ("HOT_WORK_2", "动火作业(二级)"),
    "10": ("TEMPORARY_POWER", "临时用电作业"),
    "21": ("HEIGHT_1", "高处作业(I级)"),
    "22": ("HEIGHT_2", "高处作业(II级)"),
    "23": ("HEIGHT_3", "高处作业(III级)"),
    "24": ("HEIGHT_4", "高处作业(IV级)"),
    "30": ("EXCAVATION", "动土作业"),
    "40": ("ROAD_CLOSURE", "断路作业"),
    "50": ("BLINDING", "盲板抽堵作业"),
    "61": ("LIFTING_1", "吊装作业(一级)"),
    "62": ("LIFTING_2", "吊装作业(二级)"),
    "63": ("LIFTING_3", "吊装作业(三级)"),
    "70": ("CONFINED_SPACE", "受限空间作业"),
}

# AQ 3064.2 permit status: code -> (enum name, label).
STATUSES: dict[int, tuple[str, str]] = {
    0: ("NOT_ISSUED", "未签发"),
    1: ("ISSUED", "已签发"),
    2: ("IN_PROGRESS", "作业中"),
    3: ("ACCEPTED", "已验收"),
    4: ("VOIDED", "已作废"),
    5: ("REVOKED", "已取消"),
    6: ("PAUSED", "暂停"),
}

# The 8 GB 30871 operation types, by ticket type code.
OPERATION_TYPE: dict[str, str] = {
    "01": "hot_work",
    "02": "hot_work",
    "03": "hot_work",
    "10": "temporary_power",
    "21": "height",
    "22": "height",
    "23": "height",
    "24": "height",
    "30": "excavation",
    "40": "road_closure",
    "50": "blinding",
    "61": "lifting",
    "62": "lifting",
    "63": "lifting",
    "70": "confined_space",
}

# GB 30871-2022 longest validity by ticket type; absent where the standard sets no general limit.
MAX_VALIDITY: dict[str, timedelta] = {
    "01": timedelta(hours=8),
    "02": timedelta(hours=8),
    "03": timedelta(hours=72),
    "70": timedelta(hours=24),
    "21": timedelta(days=7),
    "22": timedelta(days=7),
    "23": timedelta(days=7),
    "24": timedelta(days=7),
    "10": timedelta(days=15),
}

# The level (作业级别) a ticket type carries, where GB 30871 grades the operation; absent where it does not.
LEVELS: dict[str, str] = {
    "01": "特级",
    "02": "一级",
    "03": "二级",
    "21": "I级",
    "22": "II级",
    "23": "III级",
    "24": "IV级",
    "61": "一级",
    "62": "二级",
    "63": "三级",
}
