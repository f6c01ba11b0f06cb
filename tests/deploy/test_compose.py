"""deploy/compose.yaml and compose.multi.yaml without a Docker engine: the Compose
specification's JSON schema, then what the files promise (services, health checks, mounts that
exist, ports on loopback only, settings mutaika accepts, monitoring wired to the gateways)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ruamel.yaml import YAML

from gateway.config import Settings
from tests.deploy.settings_env import settings_from

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
FILES = {
    "compose.yaml": {
        "services": {"mutaika", "lgwan-mta", "prometheus", "grafana"},
        "gateways": {"mutaika"},
        # (host address, host port, container port): everything published, nothing more
        "published": {
            ("127.0.0.1", "2525", "2525"),
            ("127.0.0.1", "8025", "8025"),
            ("127.0.0.1", "8100", "8025"),
            ("127.0.0.1", "9090", "9090"),
            ("127.0.0.1", "3000", "3000"),
        },
    },
    "compose.multi.yaml": {
        "services": {"mutaika-a", "mutaika-b", "postgres", "lgwan-mta", "prometheus", "grafana"},
        "gateways": {"mutaika-a", "mutaika-b"},
        "published": {
            ("127.0.0.1", "2525", "2525"),
            ("127.0.0.1", "8025", "8025"),
            ("127.0.0.1", "2526", "2525"),
            ("127.0.0.1", "8026", "8025"),
            ("127.0.0.1", "8100", "8025"),
            ("127.0.0.1", "9090", "9090"),
            ("127.0.0.1", "3000", "3000"),
        },
    },
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def _interpolate(text: str) -> str:
    """As Compose does with none of the variables set: ${X:-default} → default; ${X:?msg} is a
    variable the operator must set, here a placeholder."""
    return _VARIABLE.sub(lambda m: m.group(3) if m.group(2) == "-" else f"<{m.group(1)}>", text)


def _services(name: str) -> dict[str, dict[str, Any]]:
    """The services of one file with `extends` resolved (the base service, then this one's keys)."""
    services: dict[str, dict[str, Any]] = _load(DEPLOY / name)["services"]
    for service in services.values():
        base = service.pop("extends", None)
        if base:
            inherited = _services(base.get("file", name))[base["service"]]
            service.update({**inherited, **service})
    return services


def _config_of(service: dict[str, Any]) -> Path:
    """The file a Prometheus service reads, on the host: its --config.file through its mounts."""
    (flag,) = [c for c in service["command"] if c.startswith("--config.file=")]
    target = flag.split("=", 1)[1]
    for volume in service["volumes"]:
        source, mount = volume.split(":")[:2]
        if target.startswith(mount + "/"):
            return DEPLOY / source / target[len(mount) + 1 :]
    raise AssertionError(f"{target} is not inside a mounted directory")


def test_files_follow_the_compose_specification() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         *(str(DEPLOY / name) for name in FILES)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", FILES)
def test_services_are_the_intended_ones_and_all_healthchecked(name: str) -> None:
    services = _services(name)
    assert set(services) == FILES[name]["services"]
    for key, service in services.items():
        # the gateway image brings its own HEALTHCHECK on /readyz (see test_dockerfile.py)
        built_here = service.get("build", {}).get("dockerfile") == "Dockerfile"
        assert built_here or service.get("healthcheck", {}).get("test"), key
        if "image" in service and not built_here:
            # a release, not a moving tag (PostgreSQL's releases are MAJOR.MINOR)
            assert re.search(r":v?\d+\.\d+(\.\d+)?(-\w+)?$", service["image"]), (
                f"{key}: pin {service['image']} to a release"
            )


@pytest.mark.parametrize("name", FILES)
def test_only_the_intended_ports_are_published_and_only_on_loopback(name: str) -> None:
    published = set()
    for service in _services(name).values():
        for port in service.get("ports", []):
            *host, container_port = _interpolate(str(port)).split(":")
            host_ip, host_port = host if len(host) == 2 else ("0.0.0.0", *host)  # every interface
            published.add((host_ip, host_port, container_port))
    assert published == FILES[name]["published"]


@pytest.mark.parametrize("name", FILES)
def test_every_mount_exists_in_the_repository_or_is_a_declared_volume(name: str) -> None:
    declared = set(_load(DEPLOY / name).get("volumes") or {})
    for key, service in _services(name).items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{key}: {source} is not in the repository"
                assert volume.endswith(":ro"), f"{key}: mount {source} read-only"
            else:
                assert source in declared, f"{key}: volume {source} is not declared"


@pytest.mark.parametrize("name", FILES)
def test_gateways_get_settings_mutaika_accepts(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    services = _services(name)
    for key in FILES[name]["gateways"]:
        service = services[key]
        env = {k: _interpolate(str(v)) for k, v in service["environment"].items()}
        settings = settings_from(env, monkeypatch)
        relay = urlsplit(settings.delivery.relay_url)
        assert relay.hostname in services, f"{key} delivers to {relay.hostname}, not a service"
        assert f":{relay.port}" in services[relay.hostname]["environment"]["MP_SMTP_BIND_ADDR"]
        assert settings.smtp.local_domains == ["city.example.lg.jp"]
        assert service.get("read_only") and service.get("cap_drop") == ["ALL"], key


def test_nodes_share_the_database_and_nothing_else() -> None:
    services = _services("compose.multi.yaml")
    a, b = services["mutaika-a"], services["mutaika-b"]
    assert not set(a["volumes"]) & set(b["volumes"]), "a spool or data volume is shared"
    url = urlsplit(_interpolate(a["environment"]["MUTAIKA_STORE__URL"]))
    assert url.scheme == "postgresql" and url.hostname == "postgres"
    assert a["environment"]["MUTAIKA_STORE__URL"] == b["environment"]["MUTAIKA_STORE__URL"]
    assert "ports" not in services["postgres"], "the database is for the gateways only"
    assert set(a["depends_on"]) == {"postgres", "lgwan-mta"}


@pytest.mark.parametrize("name", FILES)
def test_prometheus_scrapes_every_gateway_and_loads_the_alert_rules(name: str) -> None:
    services = _services(name)
    config = _load(_config_of(services["prometheus"]))
    targets = {t for job in config["scrape_configs"] for s in job["static_configs"]
               for t in s["targets"]}  # fmt: skip
    api_port = Settings().api.port
    assert targets == {f"{g}:{api_port}" for g in FILES[name]["gateways"]}
    assert config["rule_files"] == ["alerts.yml"]
    assert (_config_of(services["prometheus"]).parent / "alerts.yml").is_file()


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards() -> None:
    grafana = _services("compose.yaml")["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"])
    provisioning = DEPLOY / "grafana" / "provisioning"
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    (source,) = _load(provisioning / "datasources" / "prometheus.yaml")["datasources"]
    assert source["url"] == "http://prometheus:9090" and source["uid"] == "prometheus"
    (provider,) = _load(provisioning / "dashboards" / "mutaika.yaml")["providers"]
    assert provider["options"]["path"] == mounts["./grafana/dashboards"]
    assert (DEPLOY / "grafana" / "dashboards" / "mutaika.json").is_file()
