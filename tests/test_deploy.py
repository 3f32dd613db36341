"""The image and compose file, tested without a Docker engine (none runs on our machines).

hadolint checks the Dockerfile in `make lint`. Here: compose.yaml sets only real settings,
points its health checks at real endpoints and keeps Redis's eviction safe for settings; the
image's exact entry command and health check, run in the venv, serve and pass `/healthz`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings
from bot.healthcheck import health_url
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers.processes import LOOPBACK_FAKES
from tests.helpers.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {name.upper() for name in Settings.model_fields}


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the final stage, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("#")]
    final = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return [tuple(line.split(None, 1)) for line in lines[final:]]  # type: ignore[misc]


def _exec_form(arguments: str) -> list[str]:
    parsed = json.loads(arguments)
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


def test_compose_sets_only_real_settings_and_checks_real_endpoints() -> None:
    services = _compose()["services"]
    skim = services["skim"]
    assert set(skim["environment"]) <= SETTINGS
    assert skim["healthcheck"]["test"][1:] == ["python", "-m", "bot.healthcheck"]
    assert skim["restart"] == "unless-stopped"
    assert skim["depends_on"]["redis"]["condition"] == "service_healthy"
    assert skim["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_compose_redis_persists_and_never_evicts_settings() -> None:
    redis = _compose()["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy volatile-lru" in command, "only keys with a TTL may be evicted"
    assert redis["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert redis["restart"] == "unless-stopped"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_compose_scales_out_as_one_intake_and_many_workers_on_one_redis() -> None:
    services = _compose()["services"]
    intake, worker = services["intake"], services["worker"]
    assert intake["command"] == ["skim", "run", "--role", "intake"]
    assert worker["command"] == ["skim", "run", "--role", "worker"]
    for service in (intake, worker):
        assert service["profiles"] == ["scale"], "not started next to the all-in-one `skim`"
        assert set(service["environment"]) <= SETTINGS
        assert service["environment"]["REDIS_URL"] == services["skim"]["environment"]["REDIS_URL"]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["build"] == ".", "the profile alone builds its image on a fresh host"
    assert "ports" not in worker, "workers are scaled: a fixed host port would clash"


def test_the_kubernetes_sketch_runs_the_images_program() -> None:
    """The image has no ENTRYPOINT: a container's `args` would replace CMD and be run as the
    program itself ("run"), so the sketch must give the whole `command`."""
    assert "ENTRYPOINT" not in dict(_dockerfile())
    text = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    [sketch] = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    [container] = yaml.safe_load(sketch)["spec"]["template"]["spec"]["containers"]
    assert "args" not in container
    assert container["command"] == ["skim", "run", "--role", "worker"]
    assert {variable["name"] for variable in container["env"]} <= SETTINGS


def test_compose_offers_a_local_model_as_a_profile() -> None:
    ollama = _compose()["services"]["ollama"]
    assert ollama["profiles"] == ["local-llm"]


def test_the_image_runs_as_a_user_with_a_health_check_and_settings_from_the_environment() -> None:
    final = _dockerfile()
    instructions = dict(final)
    assert instructions["USER"].split(":")[0] not in ("0", "root")
    assert "HEALTHCHECK" in instructions
    env = dict(shlex.split(pair)[0].split("=", 1) for pair in shlex.split(instructions["ENV"]))
    assert {name for name in env if name.isupper() and not name.startswith(("PYTHON", "PATH"))} <= (
        SETTINGS
    )
    assert _exec_form(instructions["CMD"]) == ["skim", "run"]


async def test_the_images_entry_command_serves_healthz_and_passes_its_health_check(
    bot_api: FakeBotAPI,
) -> None:
    final = dict(_dockerfile())
    command = _exec_form(final["CMD"])
    check = _exec_form(final["HEALTHCHECK"].split("CMD", 1)[1].strip())
    port = free_port()
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_URL": bot_api.url,
        "METRICS_LISTEN": f"127.0.0.1:{port}",  # the image's 0.0.0.0:9100, on a free port
        **LOOPBACK_FAKES,
    }
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await bot_api.wait_for("getUpdates", timeout=30)
        for _ in range(50):
            probe = await asyncio.create_subprocess_exec(*check, env=env)
            if await probe.wait() == 0:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("the image's HEALTHCHECK never passed")
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()


def _exposed_names() -> set[str]:
    from bot.metrics import Metrics

    names: set[str] = set()
    for family in Metrics().registry.collect():
        names.add(family.name)
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
        names.update(family.name + suffix for suffix in suffixes.get(family.type, []))
    return names


def test_alerts_and_dashboard_use_only_metrics_skim_exports() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus-alerts.yml").read_text("utf-8"))
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text("utf-8"))
    exprs += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\bskim_[a-z_]+", expr)}
    assert used, "the rules and panels query Skim's metrics"
    assert used <= _exposed_names(), used - _exposed_names()
    alerts = {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}
    assert {"SkimLLMFailing", "SkimBotAPIFloods", "SkimRedisOutage", "SkimNoUpdates"} <= set(alerts)
    # Extractive summaries (no LLM key: all of them) and dead links are no LLM failure.
    assert "skim_summaries_total" not in alerts["SkimLLMFailing"]
    # A process with no update yet exports no sample: without a default the rule stays empty.
    assert "or vector(0)" in alerts["SkimNoUpdates"]


def test_a_workers_healthcheck_asks_where_a_worker_serves() -> None:
    """A worker takes no webhook: with WEBHOOK_URL in a shared .env its health check asked
    WEBHOOK_LISTEN, where nothing listens, and the container stayed unhealthy for ever."""
    environ = {
        "WEBHOOK_URL": "https://bot.example/hook",
        "WEBHOOK_LISTEN": "0.0.0.0:8080",
        "METRICS_LISTEN": "0.0.0.0:9100",
    }
    assert health_url(environ) == "http://127.0.0.1:8080/healthz"
    assert health_url(environ, "worker") == "http://127.0.0.1:9100/healthz"
    services = _compose()["services"]
    assert services["worker"]["healthcheck"]["test"][1:] == [
        "python", "-m", "bot.healthcheck", "--role", "worker",
    ]  # fmt: skip
    assert "127.0.0.1:8080:8080" in [str(port).split("  ")[0] for port in services["skim"]["ports"]]
