"""A generated scan export: reports of the API's shape, seeded, with the shapes that matter
to the matcher (contexts, metadata, hosts in URLs, phrases, addresses, ports)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Dict, List

COUNTRIES = ["US", "RU", "IR", "CN", "DE", "BR", "AU"]
PRODUCTS = ["hikvision", "hikvision-dvr", "dahua", "nginx", "apache", "openssh", "microsoft-iis"]
WORDS = ["remote", "login", "page", "admin", "panel", "welcome", "to", "the", "router", "camera"]
HOSTS = ["example.com", "www.example.com", "notexample.com", "example.org", "mail.example.com"]


def _item(type_: str, value: str, context: str = "", metadata: bool = False) -> Dict[str, Any]:
    return {"type": type_, "context": context, "value": value, "is_metadata": metadata}


def report(rng: random.Random, n: int) -> Dict[str, Any]:
    ip = rng.choice(
        [
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            f"192.0.2.{rng.randrange(1, 255)}",
            f"2001:db8::{rng.randrange(1, 0xFFFF):x}",
        ]
    )
    port = rng.choice(["22", "80", "443", "8443", "8080"])
    items = [
        _item("ip", ip, metadata=True),
        _item("port-tcp", port, metadata=True),
        _item("geo-country", rng.choice(COUNTRIES), metadata=True),
    ]
    for _ in range(rng.randrange(3)):
        items.append(_item("product-tag", rng.choice(PRODUCTS)))
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 6)))
    if rng.random() < 0.1:
        title = title.upper()
    items.append(_item("title", title))
    if rng.random() < 0.5:
        host = rng.choice(HOSTS)
        items.append(_item("host", host, context=rng.choice(["", "cert-dns-name"])))
    if rng.random() < 0.3:
        items.append(_item("url", f"https://{rng.choice(HOSTS)}/{rng.choice(WORDS)}"))
    if rng.random() < 0.2:
        items.append(_item("ip", f"10.9.{rng.randrange(256)}.1", context="cert-ip-address"))
    return {"date": f"2024-0{rng.randrange(1, 10)}-1{rng.randrange(10)}", "id": f"r{n:05d}", "items": items}


def reports(count: int, seed: int = 7) -> List[Dict[str, Any]]:
    rng = random.Random(seed)
    return [report(rng, n) for n in range(count)]


def write_ndjson(path: Path, rows: List[Dict[str, Any]], bad_every: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for n, row in enumerate(rows):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            if bad_every and n % bad_every == bad_every - 1:
                f.write('{"date": "2024-01-01", "id": "broken", "items": [\n')
    return path
