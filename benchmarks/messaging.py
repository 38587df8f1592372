"""How many messages a second the messaging layer encrypts and decrypts.

    python3 benchmarks/messaging.py              # every kind, 20,000 messages each
    python3 benchmarks/messaging.py --messages 5000

For each kind of channel, two phones exchange messages (both directions, as a conversation goes):
`encrypt` times the sender's side (session, ratchet, encryption and, where the operator logs, the
log line), `decrypt` the recipient's (authentication, decryption, ratchet). The last line times a
whole `exposure seize group-chat --person organiser` in this process. One JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from simulator.messaging import seize_scenario
from simulator.messaging.crypto import KeyMaker
from simulator.messaging.network import Network
from simulator.messaging.wire import encode_content
from simulator.scenario import load
from simulator.scenario.model import Scenario

KINDS = ["plaintext", "transport", "end_to_end", "end_to_end_sealed", "mesh"]


def pair(kind: str, forward_secrecy: bool) -> Network:
    """Two phones on one channel of the given kind."""
    scenario = Scenario.model_validate(
        {
            "name": "bench",
            "title": "Two phones",
            "summary": "s",
            "days": 1,
            "population": {"units": 1, "households_per_unit": 2, "household_size": 1},
            "channels": {"chat": {"kind": kind, "forward_secrecy": forward_secrecy}},
        }
    )
    return Network(scenario, KeyMaker(np.random.default_rng(1)))


def measure(kind: str, forward_secrecy: bool, messages: int) -> dict[str, object]:
    net = pair(kind, forward_secrecy)
    content = encode_content("meeting moved to the market, 3rd day", None)
    started = time.perf_counter()
    wires = []
    for i in range(messages):
        sender = i % 2
        _upstream, down = net.send(0, sender, 1 - sender, 0, False, 1, i, content)
        wires.append((down, 1 - sender))
    encrypt_s = time.perf_counter() - started
    started = time.perf_counter()
    for down, recipient in wires:
        if not net.deliver(down, recipient, False).ok:
            raise SystemExit(f"{kind}: a message failed to decrypt")
    decrypt_s = time.perf_counter() - started
    return {
        "kind": kind,
        "forward_secrecy": forward_secrecy,
        "messages": messages,
        "encrypt_per_s": round(messages / encrypt_s),
        "decrypt_per_s": round(messages / decrypt_s),
        "both_per_s": round(messages / (encrypt_s + decrypt_s)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    for kind in KINDS:
        for forward_secrecy in (False, True):
            print(json.dumps(measure(kind, forward_secrecy, args.messages)), flush=True)
    scenario = load("group-chat").scenario
    started = time.perf_counter()
    report = seize_scenario(scenario, 1, "organiser")
    print(
        json.dumps(
            {
                "command": "seize group-chat --person organiser",
                "messages_total": report.total,
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
