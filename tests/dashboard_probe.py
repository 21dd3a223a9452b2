"""What a browser could send to a dashboard page's kernel, and what it receives: the websocket
frames of a page, and forged widget messages (filters, buttons) on the page's own kernel socket
with the viewer's own login.  Used by the dashboard's viewer tests and the hub's."""

from __future__ import annotations

import json
import re
import time

import websocket


def ids_in(text: str, people, department: str) -> set[str]:
    """Employee ids of ``department`` (from ``people``: (id, department, role)) found in ``text``."""
    return {eid for eid, dept, _ in people if dept == department
            and re.search(rf"(?<![0-9A-Za-z]){re.escape(eid)}(?![0-9])", text)}


def recorded(page) -> list[str]:
    """Every websocket frame the page receives, as text (binary frames decoded leniently)."""
    frames: list[str] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")))
    page.on("websocket", on_socket)
    return frames


def send(ws, msg_type: str, content: dict) -> None:
    ws.send(json.dumps({"channel": "shell", "header": {
        "msg_id": f"forged-{time.monotonic_ns()}", "msg_type": msg_type, "username": "x", "session": "forged",
        "version": "5.3", "date": ""}, "parent_header": {}, "metadata": {}, "content": content, "buffers": []}))


def drain(ws, seconds: float) -> list[str]:
    got, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            got.append(ws.recv())
        except websocket.WebSocketTimeoutException:
            pass
        except Exception:
            break
    return got


def kernel_socket(page, url: str):
    """A websocket to the page's kernel with the page's own cookies (``url`` ends with '/')."""
    config = json.loads(page.inner_text("script#jupyter-config-data"))
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    ws = websocket.create_connection(url.replace("http://", "ws://") + f"api/kernels/{config['kernelId']}/channels",
                                     timeout=5, cookie=cookies)
    ws.settimeout(0.5)
    return ws, config["kernelId"]


def forge_department(page, url: str, department: str, dropdowns_expected: int = 4) -> list[str]:
    """On the page's kernel socket, ask for every widget's state, then tick every checkbox
    ("Overdue only": everyone overdue the viewer may see), set every dropdown (track, department,
    role, sort) to ``department`` every way a browser could (index, value, label, options) and
    press every button.  Returns the frames received meanwhile."""
    ws, _ = kernel_socket(page, url)
    send(ws, "comm_info_request", {"target_name": "jupyter.widget"})
    comms = [c for m in drain(ws, 3) if '"comm_info_reply"' in m for c in json.loads(m)["content"]["comms"]]
    for comm_id in comms:
        send(ws, "comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
    states = [json.loads(m) for m in drain(ws, 3)]
    dropdowns = [m["content"]["comm_id"] for m in states if m.get("msg_type") == "comm_msg"
                 and m["content"]["data"].get("state", {}).get("_model_name") == "DropdownModel"]
    assert len(dropdowns) == dropdowns_expected, f"found {len(dropdowns)} dropdowns"
    for comm_id in [m["content"]["comm_id"] for m in states if m.get("msg_type") == "comm_msg"
                    and m["content"]["data"].get("state", {}).get("_model_name") == "CheckboxModel"]:
        send(ws, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": True},
                                                            "buffer_paths": []}})
    forged = [{"index": i} for i in range(6)] + [
        {"value": department}, {"label": department}, {"_options_labels": ["All", department], "index": 1}]
    for comm_id in dropdowns:
        for state in forged:
            send(ws, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": state,
                                                                "buffer_paths": []}})
    buttons = [m["content"]["comm_id"] for m in states if m.get("msg_type") == "comm_msg"
               and m["content"]["data"].get("state", {}).get("_model_name") == "ButtonModel"]
    for comm_id in buttons:  # "Reload data" as well
        send(ws, "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}})
    frames = drain(ws, 5)
    for comm_id in comms:
        send(ws, "comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
    frames += drain(ws, 3)
    ws.close()
    return frames


def without_echoes(frames: list[str]) -> list[str]:
    """ipywidgets echoes each update back to the page ("echo_update"): the forger's own words."""
    return [f for f in frames if "echo_update" not in f]


def try_socket(url: str, headers: list[str] | None = None):
    """The websocket at ``url``, or the HTTP status it was refused with."""
    try:
        ws = websocket.create_connection(url, timeout=5, header=headers or [])
    except websocket.WebSocketBadStatusException as refused:
        return refused.status_code
    ws.settimeout(0.5)
    return ws
