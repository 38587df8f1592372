"""Channel rules as arrays, read by the engine (and by the messaging layer from the same models)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.scenario.model import Scenario
from simulator.streams import Streams

FOREVER = -1


@dataclass(frozen=True)
class ChannelRules:
    """What a seized device and the operator's log give up, per channel index."""

    on_device: np.ndarray  # bool: messages live on a seizable device
    keeps_contacts: np.ndarray  # bool: the device keeps every link as a contact entry
    retention_days: np.ndarray  # int: days messages stay on the device, FOREVER if kept
    logs_metadata: np.ndarray  # bool: the adversary's operator logs who contacts whom
    sealed_sender: np.ndarray  # bool: the operator cannot see who sent a message
    radio: np.ndarray  # bool: transmissions can be located by direction-finding
    reveal_device: np.ndarray  # float: chance an unlocked device gives up one link
    reveal_metadata: np.ndarray  # float: chance the operator's log gives up one link
    timing_link: np.ndarray  # float: chance one observed sealed message links its sender

    @property
    def metadata_links(self) -> np.ndarray:
        """Channels whose logged messages link people without any device."""
        return self.logs_metadata & ~self.sealed_sender & (self.reveal_metadata > 0)

    @property
    def timed(self) -> np.ndarray:
        """Sealed-sender channels whose operator can link a hidden sender by timing."""
        return self.sealed_sender & (self.timing_link > 0)


def channel_rules(scenario: Scenario) -> ChannelRules:
    """Derive the engine's per-channel rules from the scenario's channel definitions."""
    chans = list(scenario.channels.values())
    return ChannelRules(
        on_device=np.array([c.on_device for c in chans], dtype=bool),
        keeps_contacts=np.array([c.keeps_contacts for c in chans], dtype=bool),
        retention_days=np.array(
            [FOREVER if c.retention_days is None else c.retention_days for c in chans],
            dtype=np.int64,
        ),
        logs_metadata=np.array([c.logs_metadata for c in chans], dtype=bool),
        sealed_sender=np.array([c.sealed_sender for c in chans], dtype=bool),
        radio=np.array([c.radio for c in chans], dtype=bool),
        reveal_device=np.array([c.reveal.device for c in chans], dtype=np.float64),
        reveal_metadata=np.array([c.reveal.metadata for c in chans], dtype=np.float64),
        timing_link=np.array([c.timing_link for c in chans], dtype=np.float64),
    )


def reveal_chance(
    rules: ChannelRules,
    channel: np.ndarray,
    unlocked: np.ndarray,
    held: np.ndarray,
    logged: np.ndarray,
) -> np.ndarray:
    """Chance that a seizure reveals each link: 1 − (1 − d)(1 − m).

    d is the channel's device reveal when the phone is unlocked and holds the link; m its metadata
    reveal when the operator logged a message on the link and can see both ends. The engine calls
    this with what its arrays say a phone holds; `exposure seize` with what it finds on the phone.
    """
    p_device = np.where(
        unlocked & rules.on_device[channel] & held, rules.reveal_device[channel], 0.0
    )
    p_meta = np.where(logged & rules.metadata_links[channel], rules.reveal_metadata[channel], 0.0)
    return 1.0 - (1.0 - p_device) * (1.0 - p_meta)


def linked_by_timing(
    streams: Streams, activity: str, t: int, senders: np.ndarray, chance: float
) -> np.ndarray:
    """Which of an activity's sealed messages of day t give the operator a link to their senders.

    The one definition of the statistical link, for the engine and the messaging layer alike: each
    message (one per sender, activity and day) has its own counter-based number and links its
    sender with the channel's `timing_link` chance, whichever operator observes it and however
    often. Draws only for the messages asked about; with a chance of 0 it draws nothing.
    """
    if chance <= 0.0 or senders.size == 0:
        return np.zeros(senders.size, dtype=bool)
    return streams.uniform(f"timing:{activity}", t, senders) < chance


def timing_link_chance(chance: float, messages: int | np.ndarray) -> float | np.ndarray:
    """Chance a sender is linked after `messages` observed sealed messages: 1 − (1 − q)^k."""
    return 1.0 - (1.0 - chance) ** np.asarray(messages, dtype=np.float64)
