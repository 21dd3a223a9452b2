"""How ``iso20k dashboard`` starts Voila (the running server is tested in test_dashboard_browser)."""

from __future__ import annotations

import json

from iso20k.dashboard import dashboard_server
from iso20k.dashboard.serve import denied_extensions, templates_dir
from iso20k.settings import Settings as _Settings

TEMPLATES = templates_dir(_Settings())
from iso20k.settings import Settings


def test_loopback_needs_no_token_anything_else_gets_one(tmp_path):
    local = dashboard_server(Settings(data_dir=tmp_path))
    assert local.token == "" and local.url == "http://127.0.0.1:8866/"
    config = json.loads(local.config_file.read_text())
    assert config["Voila"]["ip"] == "127.0.0.1" and config["Voila"]["token"] == ""
    shared = dashboard_server(Settings(data_dir=tmp_path, dashboard_ip="0.0.0.0"))
    assert len(shared.token) >= 24 and "token" not in shared.url
    assert json.loads(shared.config_file.read_text())["Voila"]["token"] == shared.token
    assert dashboard_server(Settings(data_dir=tmp_path, dashboard_ip="10.0.0.5")).token != shared.token
    given = dashboard_server(Settings(data_dir=tmp_path, dashboard_ip="0.0.0.0", dashboard_token="abc123"))
    assert given.token == "abc123" and "abc123" not in " ".join(given.argv)


def test_standalone_voila_with_the_read_only_settings(tmp_path):
    server = dashboard_server(Settings(data_dir=tmp_path, dashboard_pool_size=2, dashboard_cull_idle_s=120))
    argv = server.argv
    assert argv[1:3] == ["-m", "iso20k.dashboard.voila_app"] and argv[3].endswith("dashboard/training-dashboard.ipynb")
    assert len(argv) == 4
    config = json.loads(server.config_file.read_text())
    voila, conf = config["Voila"], config["VoilaConfiguration"]
    assert conf["strip_sources"] is True and conf["show_tracebacks"] is False
    assert conf["preheat_kernel"] is True and conf["default_pool_size"] == 2 and conf["template"] == "iso20k"
    assert conf["http_header_envs"] == ["X-Iso20k-Viewer"]
    assert config["MappingKernelManager"]["cull_idle_timeout"] == 120
    assert voila["kernel_websocket_connection_class"] == "iso20k.dashboard.kernel_connection.DashboardKernelConnection"
    assert voila["identity_provider_class"] == "iso20k.dashboard.access.OperatorIdentityProvider"
    assert server.env["JUPYTER_PATH"].split(":")[0] == str(TEMPLATES)
    assert server.env["JUPYTER_CONFIG_PATH"].split(":")[0] == str(server.config_file.parent)
    denied = denied_extensions()
    assert "@jupyter/nbgrader" in denied and "@jupyter-notebook/lab-extension" in denied
    assert not [d for d in denied if d.startswith(("@jupyter-widgets/", "@voila-dashboards/widgets-manager"))]
    assert conf["extension_denylist"] == denied


def test_the_page_template_links_nothing_on_the_internet():
    template = (TEMPLATES / "voila" / "templates" / "iso20k" / "index.html.j2").read_text()
    assert "https://" not in template and "super.super()" in template


def test_the_page_names_its_language_in_html_lang(tmp_path):
    """The page's template writes <html lang> from VoilaConfiguration.resources (checked in a
    real page by test_dashboard_browser): "zh-Hans" for Chinese, never nbconvert's "zh"."""
    for language, tag in (("zh", "zh-Hans"), ("en", "en")):
        config = json.loads(dashboard_server(Settings(data_dir=tmp_path, language=language)).config_file.read_text())
        assert config["VoilaConfiguration"]["resources"]["iso20k"]["html_lang"] == tag
    template = (TEMPLATES / "voila" / "templates" / "iso20k" / "index.html.j2").read_text()
    assert "resources.iso20k" in template and '"language_code"' in template
