"""``rsu doctor``'s checks in-process, against real sockets."""

from __future__ import annotations

import socket
from pathlib import Path

from rsu.cli.doctor import FAIL, _mqtt
from rsu.config.loader import config_from_dict, demo_config_path, read_toml


def test_an_unreadable_tls_ca_file_is_a_failed_mqtt_check_not_a_crash(tmp_path: Path) -> None:
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("not a certificate\n")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        data = read_toml(demo_config_path())
        data["uplink"]["broker"] = f"mqtts://127.0.0.1:{port}"
        data["uplink"]["ca_file"] = str(bad_ca)
        check = _mqtt(config_from_dict(data, tmp_path / "rsu.toml"), timeout=1.0)
    assert check.verdict == FAIL
    assert check.detail.startswith(f"TLS to 127.0.0.1:{port}:")
    assert "uplink.ca_file" in check.hint
