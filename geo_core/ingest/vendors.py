"""Device vendors' credentials (issue 24; seed 003: "对接芯片厂家，提供统一标准化的接口"): one secret per vendor
platform, for MQTT and for the HTTP fallback, and the broker's own password and ACL files written from them, so that a
client reaching the broker can only publish the topics of the devices its vendor owns, and the service's own user
reads them all. Mosquitto enforces it (`password_file`, `acl_file`); `manage.py broker_auth` writes both files and
asks the broker to reload them (SIGHUP) after vendors or devices change."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import signal
from pathlib import Path

from geo_core.models import DeviceVendor, SpecialEquipment, Subject

ITERATIONS = 101  # what mosquitto_passwd writes (Mosquitto 2.0); Mosquitto reads the count from the line itself
SERVICE_TOPICS = ("welder/#", "camera/#", "phone/#", "equipment/#")  # what the service's own user reads
DEVICE_TOPICS = {"welder": "welder/{}/+", "camera": "camera/{}/+", "phone": "phone/{}/+", "equipment": "equipment/{}/+"}


def mqtt_hash(secret: str, salt: bytes | None = None) -> str:
    """A password as Mosquitto's password file stores it: $7$<iterations>$<salt>$<PBKDF2-SHA512>, base64."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, ITERATIONS)
    return f"$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(code: str, name: str) -> tuple[DeviceVendor, str]:
    """A vendor (or a new secret for an existing one); the secret is shown once, only its hashes are kept."""
    secret = secrets.token_urlsafe(32)
    vendor, _ = DeviceVendor.objects.update_or_create(
        code=code,
        defaults={"name": name, "token_digest": digest(secret), "mqtt_hash": mqtt_hash(secret), "active": True},
    )
    return vendor, secret


def by_token(token: str) -> DeviceVendor | None:
    """The active vendor whose secret this is (the HTTP fallback's bearer token)."""
    return DeviceVendor.objects.filter(token_digest=digest(token), active=True).first()


def _device_ids(vendor: DeviceVendor) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"welder": [], "camera": [], "phone": [], "equipment": []}
    for kind, chip, ident in Subject.objects.filter(vendor=vendor, active=True).values_list(
        "kind", "chip_id", "external_id"
    ):
        if kind == "welder" and chip:
            out["welder"].append(chip)
        elif kind == "body_camera":
            out["camera"].append(ident)
        elif kind == "phone":
            out["phone"].append(ident)
    out["equipment"] = list(SpecialEquipment.objects.filter(vendor=vendor).values_list("registry_code", flat=True))
    return out


def _safe_topic_level(ident: str) -> bool:
    """An id that is one literal topic level (a '+', '#' or '/' in it would widen the ACL line)."""
    return bool(ident) and not any(c in ident for c in "+#/\n\r\x00 ")


def broker_files(service_user: str, service_password: str) -> tuple[str, str]:
    """(password file, ACL file) for Mosquitto: the service's user reads every device topic; each active vendor
    may publish only its own devices' topics; nobody else is known to the broker."""
    passwd = [f"{service_user}:{mqtt_hash(service_password)}"] if service_user else []
    acl = [f"user {service_user}", *(f"topic read {t}" for t in SERVICE_TOPICS), ""] if service_user else []
    for vendor in DeviceVendor.objects.filter(active=True).order_by("code"):
        passwd.append(f"{vendor.code}:{vendor.mqtt_hash}")
        acl.append(f"user {vendor.code}")
        for device, ids in _device_ids(vendor).items():
            acl.extend(f"topic write {DEVICE_TOPICS[device].format(i)}" for i in sorted(ids) if _safe_topic_level(i))
        acl.append("")
    return "\n".join(passwd) + "\n", "\n".join(acl) + "\n"


def write_broker_files(folder: Path, service_user: str, service_password: str, pid_file: Path | None = None) -> int:
    """Write both files (atomically, readable by the broker only) and signal the broker to reload them; the number of
    vendors written."""
    folder.mkdir(parents=True, exist_ok=True)
    passwd, acl = broker_files(service_user, service_password)
    for name, text in (("passwd", passwd), ("acl", acl)):
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        owner = folder.stat()
        if os.geteuid() == 0:
            os.chown(tmp, owner.st_uid, owner.st_gid)  # the broker's user owns its folder (scripts/services.sh)
        tmp.replace(folder / name)
    if pid_file is not None and pid_file.exists():
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGHUP)
    return DeviceVendor.objects.filter(active=True).count()


def write_for_service(folder: Path) -> int:
    """The broker files in `folder` for the service's own MQTT user (that of MQTT_URL), reloading the broker whose
    pid file lies there (`make run`'s)."""
    from django.conf import settings

    ep = settings.CONFIG.mqtt
    return write_broker_files(folder, ep.username, ep.password, folder / "mosquitto.pid")
