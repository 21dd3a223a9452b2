"""The hub on Kubernetes: learners' servers as pods (KubeSpawner), the product's services as their
own deployments, all from the product's settings.

The Zero to JupyterHub chart runs the hub, its proxy and its database; its ``hub.extraConfig``
(deploy/kubernetes/values.yaml) calls :func:`configure_on_kubernetes`, which adds what this
product decides: who signs in and reaches what (the same roles as on one server), where the
services are (each by its Service name, ``ISO20K_HUB_*_HOST``), and each learner's pod:

- an **init container** that delivers the course into the learner's home, running as the learner
  (``python -m iso20k.hub.deliver``, the same no-clobber copy as on one server);
- **one user id per learner** (``ISO20K_HUB_K8S_UID_BASE`` + the hub's user id), never root, no
  privilege escalation, every capability dropped: on the shared exchange volume one learner's
  hand-ins are not another's files;
- the environment of :func:`iso20k.hub.config.learner_environment`: the records service's address
  and the learner JupyterLab configuration baked into the image, **no database URL or password**;
- volumes: the learner's home (a claim of their own) and nbgrader's exchange (a shared claim);
- the CPU and memory limits and guarantees of the settings.

The image (deploy/kubernetes/Dockerfile.singleuser) is built from this package's wheel, so it
carries the course and the learners' copies of the question banks, never the keys.
"""

from __future__ import annotations

from pathlib import Path

from ..lab_settings import learner_lab_launch
from ..settings import Settings, env_name, read_settings
from .config import (KERNELS_OVER_UNIX_SOCKETS, configure_roles, configure_sign_in, hub_services,
                     learner_environment, learners_start_page)
from .roles import SERVER_TOKEN_SCOPES
from .spawn import make_pre_spawn_hook

#: Where the learner's home is mounted in their pod (the Jupyter images' user home).
HOME = "/home/jovyan"
#: Where the learners' image keeps the learner JupyterLab configuration (Dockerfile.singleuser).
LEARNER_CONFIG = Path("/opt/iso20k/learner-config")
HOME_VOLUME = "home"
EXCHANGE_VOLUME = "exchange"
#: A pod's containers: no privilege escalation, no capability, never root.
LOCKED_DOWN = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}


def on_kubernetes(settings: Settings) -> bool:
    return "kubespawner" in settings.hub_spawner.lower()


def learner_uid(settings: Settings, hub_user_id: int) -> int:
    """The user id of one learner's pod: one per learner, never 0."""
    return settings.hub_k8s_uid_base + int(hub_user_id)


def deliver_container(settings: Settings, uid: int, language: str) -> dict:
    """The init container that copies new and updated lessons into the learner's home, as them."""
    target = f"{HOME}/{settings.hub_home_course_folder}"
    return {
        "name": "deliver-course",
        "image": settings.hub_k8s_image,
        "command": ["python", "-m", "iso20k.hub.deliver", str(settings.hub_k8s_course_dir), target, language],
        "env": [{"name": "HOME", "value": HOME}, {"name": "LANG", "value": "C.UTF-8"}],
        "securityContext": {**LOCKED_DOWN, "runAsUser": uid, "runAsGroup": settings.hub_k8s_fs_gid},
        "volumeMounts": [{"name": HOME_VOLUME, "mountPath": HOME}],
        "resources": {"limits": {"cpu": "0.5", "memory": "256M"}},
    }


def kubespawner_traits(settings: Settings) -> dict:
    """KubeSpawner's traits for learners' pods, from the settings (the per-learner parts, the user
    id and the init container, are set by :func:`make_kubernetes_pre_spawn_hook`)."""
    lab = learner_lab_launch(LEARNER_CONFIG)
    env = learner_environment(settings, LEARNER_CONFIG)
    env.pop("PATH", None)  # the image's own
    if settings.exchange_dir is None:
        raise ValueError("ISO20K_EXCHANGE_DIR is empty: on Kubernetes nbgrader's exchange is a shared volume; "
                         "set it, e.g. ISO20K_EXCHANGE_DIR=/srv/nbgrader/exchange")
    return {
        "image": settings.hub_k8s_image,
        "cmd": ["jupyterhub-singleuser"],
        "args": [*lab.args, KERNELS_OVER_UNIX_SOCKETS],
        "environment": env,
        "default_url": learners_start_page(settings),
        "notebook_dir": HOME,
        "working_dir": HOME,
        "fs_gid": settings.hub_k8s_fs_gid,
        "allow_privilege_escalation": False,
        "privileged": False,
        "container_security_context": dict(LOCKED_DOWN),
        "cpu_limit": settings.hub_k8s_cpu_limit,
        "cpu_guarantee": settings.hub_k8s_cpu_guarantee,
        "mem_limit": settings.hub_k8s_mem_limit,
        "mem_guarantee": settings.hub_k8s_mem_guarantee,
        # the learner's pod talks to the hub API with its own server token only
        "automount_service_account_token": False,
        "storage_pvc_ensure": True,
        "pvc_name_template": "claim-{user_server}",
        "storage_capacity": "1Gi",
        "volumes": {HOME_VOLUME: {"name": HOME_VOLUME, "persistentVolumeClaim": {"claimName": "{pvc_name}"}},
                    EXCHANGE_VOLUME: {"name": EXCHANGE_VOLUME,
                                      "persistentVolumeClaim": {"claimName": settings.hub_k8s_exchange_claim}}},
        "volume_mounts": {HOME_VOLUME: {"name": HOME_VOLUME, "mountPath": HOME},
                          EXCHANGE_VOLUME: {"name": EXCHANGE_VOLUME, "mountPath": str(settings.exchange_dir)}},
    }


def make_kubernetes_pre_spawn_hook(settings: Settings):
    """Before each learner's pod: the language they last chose (as on one server), their own user
    id, and the init container that delivers the course in that language."""
    remember = make_pre_spawn_hook(settings)

    def pre_spawn_hook(spawner):
        try:
            remember(spawner)  # the language they last chose, read from the store (read-only)
        except Exception as exc:  # noqa: BLE001 - the pod starts in the default language
            spawner.log.warning("language of %s not read (%s); starting in %s", spawner.user.name,
                                type(exc).__name__, settings.language)
        language = spawner.environment.get(env_name("language"), settings.language)
        uid = learner_uid(settings, spawner.user.id)
        spawner.uid = uid
        spawner.gid = settings.hub_k8s_fs_gid
        spawner.init_containers = [deliver_container(settings, uid, language)]
    return pre_spawn_hook


def configure_on_kubernetes(c, settings: Settings | None = None) -> None:
    """Fill JupyterHub config object ``c`` on the Zero to JupyterHub chart (its ``hub.extraConfig``)."""
    settings = settings or read_settings()
    if not on_kubernetes(settings):
        raise ValueError(f"ISO20K_HUB_SPAWNER={settings.hub_spawner}: configure_on_kubernetes is for "
                         "'kubespawner.KubeSpawner' (deploy/kubernetes/values.yaml sets it)")
    if settings.hub_services_managed:
        raise ValueError("ISO20K_HUB_SERVICES_MANAGED must be false on Kubernetes: the records service, the "
                         "dashboard, the formgrader and the verification page run as their own deployments "
                         "(deploy/kubernetes/services.yaml)")
    configure_sign_in(c, settings)
    c.JupyterHub.spawner_class = settings.hub_spawner
    for name, value in kubespawner_traits(settings).items():
        setattr(c.KubeSpawner, name, value)
    c.KubeSpawner.pre_spawn_hook = make_kubernetes_pre_spawn_hook(settings)
    c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)
    c.JupyterHub.services = hub_services(settings, Path(settings.hub_service_tokens_dir or settings.hub_state_dir))
    configure_roles(c, settings)


def main(argv: list[str] | None = None) -> int:
    """``python -m iso20k.hub.kubernetes learner-config FOLDER``: write the learner JupyterLab
    configuration into FOLDER when the learners' image is built (Dockerfile.singleuser)."""
    import sys

    from .config import write_learner_config

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "learner-config":
        print("usage: python -m iso20k.hub.kubernetes learner-config FOLDER", file=sys.stderr)
        return 2
    write_learner_config(read_settings(), Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
