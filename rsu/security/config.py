"""``[security]``: IEEE 1609.2 verification of what is received, signing of what is sent.

```toml
[security]
trust_dir = "/etc/rsu/pki/trust"      # anchors (self-signed roots), intermediates, *.crl
certificate = "/etc/rsu/pki/rsu.oer"  # the RSU's application certificate (COER)
key = "/etc/rsu/pki/rsu.key.pem"      # or pkcs11 = { module = "...", token = "...", key = "..." }
sign = ["MAP", "SPAT"]                # message types (or broadcast entry names) to sign
verify = "all"                        # "all" | "first-then-every" (verify_every = N) | "none"
verify_every = 10
verify_by_type = { BSM = "first-then-every" }   # optional, per message type
invalid = "forward"                   # or "drop": what happens to messages that fail
signer = "auto"                       # "auto" (digest, certificate once a second and on
                                      # request) | "certificate" | "digest"
cache_size = 4096                     # certificates learned from the air (LRU)
country = 840                         # UN M.49 code of the RSU's country (identified regions)
expiry_warning_days = 7
```

Only ``rsu.config.fields`` is imported here: a config with ``[security]`` loads without
``cryptography``; the daemon imports the rest when it builds the security stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from rsu.config.fields import Table, read, setting
from rsu.errors import ConfigError

VERIFY_POLICIES = ("all", "first-then-every", "none")
INVALID_POLICIES = ("forward", "drop")
SIGNER_MODES = ("auto", "certificate", "digest")


@dataclass(frozen=True, slots=True)
class Pkcs11Config:
    module: str
    token: str
    key: str


def _names(names: tuple[str, ...], where: str) -> tuple[str, ...]:
    for i, name in enumerate(names):
        if not name or len(name) > 64:
            raise ConfigError(f"{where}[{i}]", "expected a message type or entry name")
    return names


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    trust_dir: str | None = None
    certificate: str | None = None
    key: str | None = None
    pkcs11: Pkcs11Config | None = None
    sign: tuple[str, ...] = setting((), check=_names)
    verify: str = setting("all", choices=VERIFY_POLICIES)
    verify_every: int = setting(10, lo=1, hi=1_000_000)
    verify_by_type: tuple[tuple[str, str], ...] = ()
    invalid: str = setting("forward", choices=INVALID_POLICIES)
    signer: str = setting("auto", choices=SIGNER_MODES)
    certificate_every_s: float = setting(1.0, lo=0.05, hi=3600.0)
    cache_size: int = setting(4096, lo=1, hi=1_000_000)
    country: int | None = setting(None, lo=0, hi=999)
    expiry_warning_days: float = setting(7.0, lo=0.0, hi=366.0)

    @classmethod
    def from_table(cls, t: Table) -> Self:
        cfg = read(
            cls,
            t,
            pkcs11=_pkcs11(t) if t.has("pkcs11") else t.raw("pkcs11", None),
            verify_by_type=_by_type(t.table("verify_by_type")),
        )
        _check(cfg, t)
        return cfg

    def policy_for(self, message_type: str) -> str:
        return dict(self.verify_by_type).get(message_type, self.verify)

    @property
    def verifies(self) -> bool:
        return self.verify != "none" or any(p != "none" for _, p in self.verify_by_type)


def _pkcs11(t: Table) -> Pkcs11Config:
    p = t.table("pkcs11")  # marks the key as read
    cfg = Pkcs11Config(module=p.string("module"), token=p.string("token"), key=p.string("key"))
    p.done()
    return cfg


def _by_type(t: Table) -> tuple[tuple[str, str], ...]:
    out = tuple((k, t.string(k, choices=VERIFY_POLICIES)) for k in sorted(t.data))
    t.done()
    return out


def _check(cfg: SecurityConfig, t: Table) -> None:
    if cfg.key is not None and cfg.pkcs11 is not None:
        raise ConfigError(t.where("pkcs11"), "give key or pkcs11, not both")
    if cfg.sign and cfg.certificate is None:
        raise ConfigError(t.where("certificate"), "signing (sign = [...]) needs a certificate")
    if cfg.sign and cfg.key is None and cfg.pkcs11 is None:
        raise ConfigError(t.where("key"), "signing (sign = [...]) needs key or pkcs11")
    if cfg.verifies and cfg.trust_dir is None:
        raise ConfigError(t.where("trust_dir"), f'verify = "{cfg.verify}" needs a trust_dir')
