"""How ``iso20k dashboard`` starts Voila (the running server is tested in test_dashboard_browser)."""

from __future__ import annotations

from iso20k.dashboard import dashboard_server
from iso20k.dashboard.serve import denied_extensions, templates_dir
from iso20k.settings import Settings as _Settings

TEMPLATES = templates_dir(_Settings())
from iso20k.settings import Settings


def test_loopback_needs_no_token_anything_else_gets_one():
    local = dashboard_server(Settings())
    assert local.token == "" and local.url == "http://127.0.0.1:8866/"
    assert "--Voila.ip=127.0.0.1" in local.argv and "--Voila.token=" in local.argv
    shared = dashboard_server(Settings(dashboard_ip="0.0.0.0"))
    assert len(shared.token) >= 24 and shared.url.endswith(f"?token={shared.token}")
    assert dashboard_server(Settings(dashboard_ip="10.0.0.5")).token != shared.token  # random each time
    given = dashboard_server(Settings(dashboard_ip="0.0.0.0", dashboard_token="abc123"))
    assert given.token == "abc123" and "--Voila.token=abc123" in given.argv


def test_standalone_voila_with_the_read_only_settings():
    server = dashboard_server(Settings(dashboard_pool_size=2, dashboard_cull_idle_s=120))
    argv = server.argv
    assert argv[0].endswith("voila") and argv[1].endswith("dashboard/training-dashboard.ipynb")
    for option in ("--VoilaConfiguration.strip_sources=True", "--VoilaConfiguration.show_tracebacks=False",
                   "--VoilaConfiguration.preheat_kernel=True", "--VoilaConfiguration.default_pool_size=2",
                   "--MappingKernelManager.cull_idle_timeout=120", "--VoilaConfiguration.template=iso20k",
                   "--Voila.kernel_websocket_connection_class="
                   "iso20k.dashboard.kernel_connection.DashboardKernelConnection"):
        assert option in argv
    assert server.env["JUPYTER_PATH"].split(":")[0] == str(TEMPLATES)
    denied = denied_extensions()
    assert "@jupyter/nbgrader" in denied and "@jupyter-notebook/lab-extension" in denied
    assert not [d for d in denied if d.startswith(("@jupyter-widgets/", "@voila-dashboards/widgets-manager"))]
    assert all(f"--VoilaConfiguration.extension_denylist={d}" in argv for d in denied)


def test_the_page_template_links_nothing_on_the_internet():
    template = (TEMPLATES / "voila" / "templates" / "iso20k" / "index.html.j2").read_text()
    assert "https://" not in template and "super.super()" in template
