"""The local scripts follow the services' settings and keep their files in the checkout."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from aid_center.settings import AidCenterSettings
from notifier.settings import NotifierSettings
from procuratorate.settings import ProcuratorateSettings

ROOT = Path(__file__).resolve().parents[2]


def _demo_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "demo_data", ROOT / "deploy" / "local" / "demo_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_demo_data_goes_to_the_instance_the_settings_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROCURATORATE_HTTP_PORT", "18101")
    monkeypatch.setenv("AID_CENTER_HTTP_PORT", "18102")
    monkeypatch.setenv("PROCURATORATE_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("PROCURATORATE_TOPIC_INTAKE", "elsewhere.case-transfers")
    demo = _demo_data()
    target = demo.Target.from_settings(ProcuratorateSettings(), AidCenterSettings())
    assert target.procuratorate == "http://127.0.0.1:18101"
    assert target.aid_center == "http://127.0.0.1:18102"
    assert target.kafka.options()["bootstrap_servers"] == "127.0.0.1:19092"
    assert target.intake_topic == "elsewhere.case-transfers"


def test_demo_data_defaults_are_the_services_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROCURATORATE_HTTP_PORT", "AID_CENTER_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    demo = _demo_data()
    target = demo.Target.from_settings(ProcuratorateSettings(), AidCenterSettings())
    assert target.procuratorate == "http://127.0.0.1:8101"
    assert target.aid_center == "http://127.0.0.1:8102"


def test_the_notifiers_sms_file_is_in_the_checkouts_ignored_data_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NOTIFIER_SMS_FILE_PATH", raising=False)
    path = NotifierSettings().sms_file_path
    assert path.is_relative_to(ROOT / ".local")
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", str(path)], check=False)
    assert ignored.returncode == 0, f"{path} is not git-ignored"
