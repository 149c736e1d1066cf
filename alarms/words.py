"""An alarm's evidence in words for people (issue 28: "fence and zone by name, distances and durations in words, no
raw keys"): each fact the engine recorded as a Chinese label and a sentence, names resolved (zones, permits, rules),
times in Asia/Shanghai, internal keys (visit, key) left out; and the small map's shapes (the zone and the deciding
fix). The API's alarm detail carries both; the pages show them as they come."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from geo_core.permit_codes import STATUSES, TICKET_TYPES

SHANGHAI = ZoneInfo("Asia/Shanghai")
HIDDEN = {"visit", "key", "history", "video", "scan", "work_starts", "permits", "staff", "declared", "unknown_subject"}
LABELS = {
    "rule": "规则",
    "params": "判定阈值",
    "transition": "进出",
    "fence": "围栏",
    "fix": "判定定位",
    "entered_at": "进入时间",
    "still_since": "静止开始",
    "last_fix": "最后定位",
    "distance_m": "距离",
    "nearest_possible_m": "最近可能距离",
    "limit_m": "距离限值",
    "machine_accuracy_m": "焊机定位精度",
    "phone_accuracy_m": "手机定位精度",
    "result": "判定",
    "planned_end": "计划结束",
    "overdue_s": "超时",
    "grace_s": "宽限",
    "work_stopped": "作业已停止",
    "past_planned_end": "已过计划结束时间",
    "past_max_validity": "已超最长有效期",
    "max_validity_s": "最长有效期",
    "window": "时段",
    "begun_by_day": "白天开始的作业",
    "started": "作业开始",
    "ticket_no": "作业票号",
    "ticket_type": "作业类型",
    "status": "作业票状态",
    "contractor": "承包商",
    "contractor_problem": "承包商问题",
    "problem": "问题",
    "period": "时段",
    "last_heard": "最后通信",
    "silent_s": "失联阈值",
    "confirmed_after_s": "确认用时",
    "end": "解除",
    "day": "日期",
    "filed": "已报备",
    "source": "来源",
    "passed_through": "两次定位之间穿越",
    "jumps_m": "跨越距离",
    "districts": "作业区县",
    "reason": "原因",
    "classified": "判定为",
    "silent": "失联数量",
    "powered": "通电数量",
    "filed_for_count": "报备企业数",
    "device_data": "设备数据",
    "reported": "上报",
    "count": "人数",
    "capacity_max": "额定人数",
    "capacity_min": "最少人数",
    "location": "作业位置",
    "station": "派出救援站",
    "distance_km": "距离",
    "fault": "故障",
    "code": "代码",
    "mobility": "流动性",
}
PARAMS = {
    "radius_m": "半径",
    "limit_s": "时长",
    "confirm_after_s": "确认时长",
    "dwell_s": "停留",
    "grace_s": "宽限",
    "distance_m": "距离",
    "enter_dwell_s": "进入确认",
    "exit_dwell_s": "离开确认",
    "crew_exempt_m": "作业人员豁免距离",
    "window_days": "统计天数",
    "jump_m": "跨越距离",
    "jumps": "跨越次数",
    "silent_s": "失联时长",
    "deadline_h": "报备截止(时)",
}
TRANSITIONS = {"enter": "进入", "exit": "离开", "cross": "穿越"}
RESULTS = {"remote": "异地扫码", "uncertain": "无法判定", "near": "现场扫码"}
WINDOWS = {
    "night": "夜间",
    "holiday": "节假日",
    "rest_day": "休息日",
    "weekend": "周末",
    "key_period": "重点时段",
    "special_period": "特殊时段",
}
REASONS = {
    "returned": "已返回厂区",
    "left the zone": "已离开区域",
    "shift over": "已下班",
    "moved": "已移动",
    "powered off": "焊机已断电",
    "machine powered off": "焊机已断电",
    "heard again": "已恢复通信",
    "back at the post": "已回到岗位",
    "dispersed": "已散开",
    "data flows again": "数据已恢复",
    "recorded": "已记录",
    "feed back online": "数据已恢复",
    "feeds report again": "数据已恢复",
    "period over": "时段已结束",
    "passed through between two fixes": "两次定位之间穿越",
    "filed for this enterprise": "已报备本企业",
    "qualified, or the work ended": "已取得资质或作业结束",
    "outside the window, upgraded or finished": "时段结束、已升级或已完成",
    "closed (accepted, voided or revoked), or its end moved": "作业票已关闭或延期",
    "rule, zone or permit removed": "规则、区域或作业票已删除",
    "the fence is no longer watched": "围栏不再监控",
    "video linked, or the work ended": "已关联视频或作业结束",
    "filed, or the work ended": "已报备或作业结束",
    "permit closed or moved onto its site": "作业票已关闭或位置已在厂区内",
    "guardian back, or permit no longer in progress": "监护人已返回或作业结束",
    "far_jumps": "多次远距离跨越",
    "districts": "跨区作业",
    "mobile": "流动焊机",
}


def when(t) -> str:
    if isinstance(t, (int, float)):
        return datetime.fromtimestamp(float(t), UTC).astimezone(SHANGHAI).strftime("%m-%d %H:%M:%S")
    if isinstance(t, str):
        try:
            return datetime.fromisoformat(t).astimezone(SHANGHAI).strftime("%m-%d %H:%M:%S")
        except ValueError:
            return t
    return str(t)


def duration(s: float) -> str:
    s = round(float(s))
    if s < 60:
        return f"{s} 秒"
    if s < 3600:
        return f"{s // 60} 分" + (f" {s % 60} 秒" if s % 60 else "")
    if s < 86400:
        return f"{s // 3600} 小时" + (f" {s % 3600 // 60} 分" if s % 3600 // 60 else "")
    return f"{s // 86400} 天" + (f" {s % 86400 // 3600} 小时" if s % 86400 // 3600 else "")


def distance(m: float) -> str:
    m = float(m)
    return f"{m / 1000:.1f} 公里" if m >= 1000 else f"{m:.0f} 米" if m >= 10 else f"{m:.1f} 米"


def _value(key: str, v, names: dict) -> str | None:
    if v is None or v == "" or v == {} or v == []:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if key == "fence":
        return names.get(v) or "作业区域" if str(v).startswith("p") else names.get(v) or "电子围栏"
    if key == "rule":
        return names.get(f"rule:{v}") or "规则"
    if key == "transition":
        return TRANSITIONS.get(v, v)
    if key == "result":
        return RESULTS.get(v, v)
    if key in ("window", "period"):
        return WINDOWS.get(v, v)
    if key == "ticket_type":
        return TICKET_TYPES.get(v, (None, v))[1]
    if key == "status" and isinstance(v, int):
        return STATUSES.get(v, (None, str(v)))[1]
    if key in ("reason", "classified", "contractor_problem", "problem") and isinstance(v, str):
        return REASONS.get(v, v)
    if key == "fix" and isinstance(v, dict):
        depth = v.get("depth_m")
        inside = f"，距围栏边界 {distance(abs(depth))}" if isinstance(depth, (int, float)) else ""
        return f"{when(v.get('t'))} 于 {v.get('lon', 0):.5f}, {v.get('lat', 0):.5f}{inside}"
    if key == "last_fix" and isinstance(v, (int, float)):
        return when(v)
    if key == "end" and isinstance(v, dict):
        return REASONS.get(v.get("reason"), v.get("reason") or "条件解除")
    if key == "params" and isinstance(v, dict):
        parts = [f"{PARAMS[k]} {_number(k, x)}" for k, x in v.items() if k in PARAMS and isinstance(x, (int, float))]
        return "、".join(parts) or None
    if key == "jumps_m" and isinstance(v, list):
        return "、".join(distance(x) for x in v if isinstance(x, (int, float)))
    if key == "districts" and isinstance(v, list):
        return "、".join(names.get(f"region:{x}", str(x)) for x in v)
    if key.endswith(("_at", "_since")) or key in ("planned_end", "started", "last_heard", "t"):
        return when(v)
    if isinstance(v, (int, float)):
        return _number(key, v)
    if isinstance(v, (dict, list)):
        return None
    return str(v)


def _number(key: str, v: float) -> str:
    if key.endswith("_s"):
        return duration(v)
    if key.endswith("_m"):
        return distance(v)
    if key.endswith("_h"):
        return f"{v:g} 时"
    if key.endswith("_days"):
        return f"{v:g} 天"
    return f"{v:g}"


def evidence_words(evidence: dict, names: dict) -> list[dict]:
    """[{label, text}] for the facts people read, in the evidence's order; keys without words are left out."""
    out = []
    for key, v in (evidence or {}).items():
        if key in HIDDEN or key not in LABELS:
            continue
        text = _value(key, v, names)
        if text:
            out.append({"key": key, "label": LABELS[key], "text": text})
    return out
