"""The hub on Kubernetes, as far as it runs here (no cluster): KubeSpawner itself, configured from
the product's settings by iso20k.hub.kubernetes, renders each learner's pod manifest; the Helm
values are checked against the Zero to JupyterHub chart's documented keys; the services'
manifests agree with the hub's settings; a service listens where its settings say.

What needs a cluster (pods really started, volumes really shared, network policies enforced) is
not tested here: docs/deployment.md says so."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

pytest.importorskip("kubespawner")

from traitlets.config import Config  # noqa: E402

from iso20k.settings import Settings, env_name  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy" / "kubernetes"
SECRET = "s3cret-Pa55word"
SERVICE_HOSTS = {"hub_records_host": "iso20k-records", "hub_dashboard_host": "iso20k-dashboard",
                 "hub_formgrader_host": "iso20k-formgrader", "hub_verify_host": "iso20k-verify"}
SERVICES = ("records", "dashboard", "verify", "roster-sync", "iso20k")

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: not-used}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: iso20k}}]
current-context: none
"""


class HubUser:
    """What KubeSpawner reads of the hub's user (name, id)."""

    def __init__(self, name: str, user_id: int):
        self.name, self.id, self.url, self.escaped_name = name, user_id, f"/user/{name}/", name
        self.spawners = {}


@pytest.fixture()
def cluster_settings(tmp_path, monkeypatch):
    """Settings as values.yaml gives them to the hub, with store URLs holding a password (which
    must reach no learner's pod) and the service tokens as files (the mounted Secret)."""
    tokens = tmp_path / "service-tokens"
    tokens.mkdir()
    for service in SERVICES:
        (tokens / f"{service}.token").write_text(f"token-of-{service}\n")
    # a kube config that names a cluster nobody listens on: KubeSpawner reads it, never calls it
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    from kubernetes_asyncio.config import kube_config

    # the client library read KUBECONFIG when it was imported; this is where it keeps it
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(tmp_path / "kubeconfig"))
    values = {"hub_spawner": "kubespawner.KubeSpawner", "hub_services_managed": "false",
              "hub_service_tokens_dir": str(tokens), "exchange_dir": "/srv/nbgrader/exchange",
              "data_dir": str(tmp_path / "data"), "hub_k8s_image": "registry.example.com/iso20k-singleuser:9",
              "hub_k8s_mem_limit": "2G", "hub_k8s_cpu_limit": "1.5",
              "db_url": f"sqlite:///{tmp_path / 'data' / 'progress.sqlite'}",
              "hub_records_db_url": f"postgresql+psycopg://iso20k_records:{SECRET}@db.example.com/training",
              "hub_dashboard_db_url": f"postgresql+psycopg://iso20k_dashboard:{SECRET}@db.example.com/training",
              **SERVICE_HOSTS}
    for name, value in values.items():
        monkeypatch.setenv(env_name(name), value)
    from iso20k.hub import spawn

    monkeypatch.setattr(spawn, "_store", None)  # the hub's kept read-only store: this test's
    from iso20k.settings import reload_settings

    return reload_settings()


def _pod(config: Config, user: HubUser) -> dict:
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    async def render():
        spawner = KubeSpawner(config=config, _mock=True, user=user)
        spawner.pre_spawn_hook(spawner)
        manifest = await spawner.get_pod_manifest()
        async with ApiClient() as client:
            return client.sanitize_for_serialization(manifest)
    return asyncio.run(render())


def _container(pod: dict, name: str) -> dict:
    return next(c for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", []) if c["name"] == name)


def test_learner_pods_rendered_by_kubespawner_from_the_settings(cluster_settings: Settings):
    from iso20k.hub.kubernetes import configure_on_kubernetes
    from iso20k.store import ProgressStore

    store = ProgressStore(settings=cluster_settings)
    store.set_language("e0007", "zh")  # learner e0007 (not in a roster here) chose Chinese in a quiz
    store.close() if hasattr(store, "close") else None
    config = Config()
    configure_on_kubernetes(config, cluster_settings)
    assert config.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    pods = {name: _pod(config, HubUser(name, uid)) for name, uid in (("e0007", 7), ("e0042", 42))}

    uids = set()
    for name, pod in pods.items():
        main = _container(pod, "notebook")
        init = _container(pod, "deliver-course")
        # the user id: one per learner, never root, the init container as the learner too
        uid = main["securityContext"]["runAsUser"]
        assert uid == cluster_settings.hub_k8s_uid_base + int(name[1:]) and uid > 0
        assert init["securityContext"]["runAsUser"] == uid
        for container in (main, init):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["runAsNonRoot"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
        assert pod["spec"]["automountServiceAccountToken"] is False
        uids.add(uid)
        # the init container delivers the course from the image into the learner's home, in their language
        language = "zh" if name == "e0007" else "en"
        assert init["command"] == ["python", "-m", "iso20k.hub.deliver", str(cluster_settings.hub_k8s_course_dir),
                                   f"/home/jovyan/{cluster_settings.hub_home_course_folder}", language]
        assert init["image"] == main["image"] == "registry.example.com/iso20k-singleuser:9"
        assert {m["name"]: m["mountPath"] for m in init["volumeMounts"]} == {"home": "/home/jovyan"}
        # the environment: where the records service is, the learner configuration, no store at all
        env = {e["name"]: e.get("value", "") for e in main["env"]}
        assert env[env_name("records_url")] == "http://iso20k-records:8010/services/records/"
        assert env[env_name("language")] == language
        assert env["JUPYTER_CONFIG_PATH"] == "/opt/iso20k/learner-config"
        text = json.dumps(pod)
        assert SECRET not in text and "postgresql" not in text and "sqlite" not in text
        assert not [k for k in env if "DB_URL" in k or "PASSWORD" in k or "SECRET" in k]
        assert env["JUPYTERHUB_USER"] == name
        # volumes: the learner's own home claim and the shared exchange, mounted where the settings say
        volumes = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"]}
        assert volumes == {"home": f"claim-{name}", "exchange": "iso20k-exchange"}
        assert {m["name"]: m["mountPath"] for m in main["volumeMounts"]} == {
            "home": "/home/jovyan", "exchange": "/srv/nbgrader/exchange"}
        # resources from the settings
        assert main["resources"]["limits"] == {"cpu": 1.5, "memory": 2 * 2**30}  # KubeSpawner: G = GiB
        assert main["resources"]["requests"]["cpu"] == cluster_settings.hub_k8s_cpu_guarantee
        assert pod["spec"]["securityContext"]["fsGroup"] == cluster_settings.hub_k8s_fs_gid
        assert "--KernelManager.transport=ipc" in main["args"]
    assert len(uids) == 2


def test_services_are_reached_by_their_configured_names_and_tokens(cluster_settings: Settings):
    from iso20k.hub.kubernetes import configure_on_kubernetes

    config = Config()
    configure_on_kubernetes(config, cluster_settings)
    services = {s["name"]: s for s in config.JupyterHub.services}
    assert set(services) == set(SERVICES)
    for name, service in services.items():
        assert not {"command", "user", "environment", "cwd"} & set(service), f"{name}: the hub starts nothing"
        assert service["api_token"] == f"token-of-{name}"
    assert services["records"]["url"] == "http://iso20k-records:8010"
    assert services["dashboard"]["url"] == "http://iso20k-dashboard:8011"
    assert services["iso20k"]["url"] == "http://iso20k-formgrader:8012"
    assert services["verify"]["url"] == "http://iso20k-verify:8013"
    # the same roles as on one server
    from iso20k.hub.roles import load_roles

    assert config.JupyterHub.load_roles == load_roles()


def test_a_missing_service_token_is_a_clear_error(cluster_settings: Settings):
    from iso20k.hub.config import HubConfigError
    from iso20k.hub.kubernetes import configure_on_kubernetes

    (Path(cluster_settings.hub_service_tokens_dir) / "records.token").unlink()
    with pytest.raises(HubConfigError, match=r"records service runs on its own.*records\.token"):
        configure_on_kubernetes(Config(), cluster_settings)
    with pytest.raises(ValueError, match="ISO20K_HUB_SERVICES_MANAGED must be false"):
        configure_on_kubernetes(Config(), cluster_settings.model_copy(update={"hub_services_managed": True}))


def _paths(node, prefix=""):
    """Every dotted key path of a values tree (lists are values, not keys)."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}{key}"
            yield path, value
            yield from _paths(value, path + ".")


def _documented_keys() -> tuple[set[str], set[str], dict[str, set[str]]]:
    keys, free, enums = set(), set(), {}
    for line in (DEPLOY / "chart-keys.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        path, _, allowed = line.partition(" = ")
        if path.endswith(".*"):
            free.add(path[:-2])
        else:
            keys.add(path)
        if allowed:
            enums[path] = set(allowed.split("|"))
    return keys, free, enums


def test_helm_values_use_only_the_charts_documented_keys():
    values = yaml.safe_load((DEPLOY / "values.yaml").read_text())
    keys, free, enums = _documented_keys()
    assert len(keys) > 300  # the chart's whole documented tree, not a hand-made list of ours
    undocumented = []
    for path, value in _paths(values):
        if any(path.startswith(f + ".") for f in free):
            continue
        if path not in keys:
            undocumented.append(path)
        elif path in enums:
            assert str(value) in enums[path], f"values.yaml {path}: {value!r} is not one of {sorted(enums[path])}"
    assert undocumented == [], f"values.yaml keys the chart does not document: {undocumented}"
    # every ISO20K_* the hub is given is a real setting, and the hub's configuration is the product's call
    known = {env_name(f) for f in Settings.model_fields}
    env = values["hub"]["extraEnv"]
    assert {k for k in env if k.startswith("ISO20K_")} <= known
    assert env[env_name("hub_spawner")] == "kubespawner.KubeSpawner"
    assert env[env_name("hub_services_managed")] == "false"
    assert "configure_on_kubernetes(c)" in values["hub"]["extraConfig"]["iso20k"]
    assert values["singleuser"]["storage"]["type"] == "none"
    # no privileged init container from the chart (the metadata server is blocked by network policy)
    assert values["singleuser"]["cloudMetadata"]["blockWithIptables"] is False
    assert env[env_name("hub_k8s_image")].rsplit(":", 1) == [values["singleuser"]["image"]["name"],
                                                            values["singleuser"]["image"]["tag"]]
    assert not re.search(r"(?i)password\s*:\s*\S", (DEPLOY / "values.yaml").read_text())


def test_service_manifests_agree_with_the_hub_settings():
    documents = [d for d in yaml.safe_load_all((DEPLOY / "services.yaml").read_text()) if d]
    values = yaml.safe_load((DEPLOY / "values.yaml").read_text())
    defaults = Settings()
    hub_env = values["hub"]["extraEnv"]
    services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    expected = {"records": ("hub_records_host", defaults.hub_records_port),
                "dashboard": ("hub_dashboard_host", defaults.hub_dashboard_port),
                "iso20k": ("hub_formgrader_host", defaults.hub_formgrader_port),
                "verify": ("hub_verify_host", defaults.hub_verify_port)}
    known = {env_name(f) for f in Settings.model_fields}
    for service_name, (host_setting, port) in expected.items():
        host = hub_env[env_name(host_setting)]
        assert services[host]["spec"]["ports"][0]["port"] == port
        deployment = deployments[host]["spec"]["template"]["spec"]
        container = deployment["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["JUPYTERHUB_SERVICE_NAME"] == service_name
        assert env["JUPYTERHUB_SERVICE_URL"] == f"http://{host}:{port}"
        assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{service_name}/"
        assert {k for k in env if k.startswith("ISO20K_")} <= known
        assert deployment["securityContext"]["runAsNonRoot"] is True
        assert deployment["securityContext"]["runAsUser"] > 0
        assert deployment["automountServiceAccountToken"] is False
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        # tokens and database URLs only from Secrets
        for item in container["env"]:
            if item["name"] in ("JUPYTERHUB_API_TOKEN", "ISO20K_DB_URL"):
                assert "secretKeyRef" in item["valueFrom"], item
    # the store as each service's own role: the records role, the SELECT-only role; the formgrader none
    db = {name: next((e["valueFrom"]["secretKeyRef"]["name"] for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
                      if e["name"] == "ISO20K_DB_URL"), None) for name, d in deployments.items()}
    assert db == {"iso20k-records": "iso20k-db-records", "iso20k-dashboard": "iso20k-db-dashboard",
                  "iso20k-verify": "iso20k-db-dashboard", "iso20k-formgrader": None}
    claims = {d["metadata"]["name"]: d["spec"]["accessModes"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    assert claims[Settings().hub_k8s_exchange_claim] == ["ReadWriteMany"]


def test_learners_image_carries_no_keys():
    dockerfile = "\n".join(line for line in (DEPLOY / "Dockerfile.singleuser").read_text().splitlines()
                           if not line.lstrip().startswith("#"))
    copied = re.findall(r"^COPY\s+(\S+)", dockerfile, flags=re.M)
    assert copied == ["dist/iso20k-*.whl"], copied
    assert not re.search(r"keyed|exams|source/|assessments|gradebook", dockerfile)
    assert "python -m iso20k.hub.kubernetes learner-config /opt/iso20k/learner-config" in dockerfile


@pytest.mark.slow
def test_learner_config_command_writes_the_learner_lab(tmp_path, monkeypatch):
    monkeypatch.setenv(env_name("exchange_dir"), "/srv/nbgrader/exchange")
    done = subprocess.run([sys.executable, "-m", "iso20k.hub.kubernetes", "learner-config", str(tmp_path / "lc")],
                          capture_output=True, text=True, env={**os.environ})
    assert done.returncode == 0, done.stderr
    nbgrader = json.loads((tmp_path / "lc" / "nbgrader_config.json").read_text())
    assert nbgrader["Exchange"]["root"] == "/srv/nbgrader/exchange"
    assert (tmp_path / "lc" / "settings" / "page_config.json").exists()
    bad = subprocess.run([sys.executable, "-m", "iso20k.hub.kubernetes"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_service_listens_where_its_settings_say(tmp_path):
    """The verification service, addressed by a name (as a cluster Service would be) and bound to
    the address ISO20K_HUB_SERVICES_BIND_IP gives, answers there."""
    port = _free_port()
    env = {**os.environ, "JUPYTERHUB_SERVICE_URL": f"http://iso20k-verify.invalid:{port}",
           "JUPYTERHUB_SERVICE_PREFIX": "/services/verify/", env_name("hub_services_bind_ip"): "127.0.0.1",
           env_name("data_dir"): str(tmp_path / "data"), env_name("env_file"): ""}
    proc = subprocess.Popen([sys.executable, "-m", "iso20k.hub.verify_service"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, answer = time.monotonic() + 30, None
        while time.monotonic() < deadline and answer is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/services/verify/verify/NOPE-0000", timeout=2) as r:
                    answer = r.status
            except urllib.error.HTTPError as exc:
                answer = exc.code
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.2)
        assert answer in (200, 404), answer
    finally:
        proc.terminate()
        proc.wait(10)
