"""The words of the server-rendered parts of the pages, Chinese by default and English on request (the scripts carry
their own, in web/src/i18n.js)."""

from __future__ import annotations

LANGS = ("zh", "en")

WORDS = {
    "zh": {
        "title": "危险作业与人员定位监管平台",
        "signin": "登录",
        "username": "用户名",
        "password": "密码",
        "bad_credentials": "用户名或密码错误",
        "locked": "登录失败次数过多，该账号在本地址已被锁定，请 {seconds} 秒后再试",
        "no_role": "该账号尚未分配角色，请联系管理员",
        "other_lang": "English",
        "other_lang_code": "en",
        "map": "监管地图",
        "loading": "正在加载地图…",
        "noscript": "请启用 JavaScript 以使用地图。",
        "command": "三维指挥中心",
        "loading3d": "正在加载三维场景…",
        "video": "视频",
        "reports": "统计报表",
    },
    "en": {
        "title": "Hazardous work and personnel positioning supervision",
        "signin": "Sign in",
        "username": "User name",
        "password": "Password",
        "bad_credentials": "Wrong user name or password",
        "locked": "Too many failed sign-ins: this account is locked from this address; try again in {seconds} s",
        "no_role": "This account has no role yet; ask an administrator",
        "other_lang": "中文",
        "other_lang_code": "zh",
        "map": "Supervision map",
        "loading": "Loading the map…",
        "noscript": "Enable JavaScript to use the map.",
        "command": "3D command centre",
        "loading3d": "Loading the 3D scene…",
        "video": "Video",
        "reports": "Reports",
    },
}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["zh"])
