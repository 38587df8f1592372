"""Channel rules as arrays, read by the engine (and by the messaging layer from the same models)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.population import row_positions
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
    interrogation: np.ndarray  # float: chance a person in custody names one contact on it
    names: np.ndarray  # float: chance a conversation kept on an unlocked phone names a third party

    @property
    def metadata_links(self) -> np.ndarray:
        """Channels whose logged messages link people without any device."""
        return self.logs_metadata & ~self.sealed_sender & (self.reveal_metadata > 0)

    @property
    def timed(self) -> np.ndarray:
        """Sealed-sender channels whose operator can link a hidden sender by timing."""
        return self.sealed_sender & (self.timing_link > 0)

    @property
    def attributable_links(self) -> np.ndarray:
        """Sealed-sender channels whose log links people once timing names a message's sender.

        A logged sealed message whose sender the operator had linked by timing when she sent it
        shows both its ends, as an unsealed one does.
        """
        return self.logs_metadata & self.timed & (self.reveal_metadata > 0)


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
        interrogation=np.array([c.reveal.interrogation for c in chans], dtype=np.float64),
        names=np.array([c.content.names for c in chans], dtype=np.float64),
    )


def reveal_parts(
    rules: ChannelRules,
    channel: np.ndarray,
    unlocked: np.ndarray,
    held: np.ndarray,
    logged: np.ndarray,
    by_timing: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three independent ways an arrest gives away each link: (d, m, i).

    d is the channel's device reveal when the phone is unlocked and holds the link; m its metadata
    reveal when the operator logged a message on the link and can see both ends: on a channel that
    shows senders, any message; under sealed sender, a message whose sender the operator had
    linked by timing when she sent it (`by_timing`, see `attributable_links`); i its
    interrogation chance, which needs neither phone nor log: the person in custody knows her
    contacts. The engine calls this with what its arrays say a phone holds; `exposure seize` with
    what it finds on the phone.
    """
    p_device = np.where(
        unlocked & rules.on_device[channel] & held, rules.reveal_device[channel], 0.0
    )
    shown = logged & rules.metadata_links[channel]
    if by_timing is not None:
        shown = shown | (by_timing & rules.attributable_links[channel])
    p_meta = np.where(shown, rules.reveal_metadata[channel], 0.0)
    return p_device, p_meta, rules.interrogation[channel]


def reveal_chance(
    rules: ChannelRules,
    channel: np.ndarray,
    unlocked: np.ndarray,
    held: np.ndarray,
    logged: np.ndarray,
    by_timing: np.ndarray | None = None,
) -> np.ndarray:
    """Chance that an arrest reveals each link: 1 − (1 − d)(1 − m)(1 − i) (see `reveal_parts`)."""
    p_device, p_meta, p_asked = reveal_parts(rules, channel, unlocked, held, logged, by_timing)
    return 1.0 - (1.0 - p_device) * (1.0 - p_meta) * (1.0 - p_asked)


def phone_routes(
    u: np.ndarray, p_device: np.ndarray, p_meta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which of the phone and the log gave a link away, from the one number that decided both.

    A link is revealed by its phone or its log when u < 1 − (1 − d)(1 − m) = d + (1 − d)m. That
    interval is split so that each route has its own chance and the two are independent: the phone
    gave it away when u < d, the log when u < dm or d ≤ u < d + (1 − d)m.
    """
    device = u < p_device
    both = p_device * p_meta
    meta = (u < both) | ((u >= p_device) & (u < p_device + (1.0 - p_device) * p_meta))
    return device, meta


def content_chance(
    rules: ChannelRules, channel: np.ndarray, unlocked: np.ndarray, kept: np.ndarray
) -> np.ndarray:
    """Chance that each conversation names a third party: 1 − (1 − q)^c on an unlocked phone.

    q is the channel's `content.names`, the chance that one message names someone; c the number
    of the conversation's messages the phone still keeps (`kept`), so disappearing messages
    matter exactly as much as they shorten what is kept.
    """
    p = 1.0 - (1.0 - rules.names[channel]) ** kept
    return np.where(unlocked & rules.on_device[channel] & (kept > 0), p, 0.0)


def third_parties(
    indptr: np.ndarray,
    indices: np.ndarray,
    links: np.ndarray,
    owner: np.ndarray,
    u: np.ndarray,
) -> np.ndarray:
    """Whom each conversation names: one of its owner's other contacts, or -1 if she has none.

    The conversation is the owner's link at position `links`; the third party is drawn uniformly
    from the distinct people linked to the owner in any way (family, neighbours, contacts, group
    members) other than the conversation's partner, as the k-th of them in increasing order of
    their index, k = ⌊u × their number⌋. The engine and `exposure seize` both call this.
    """
    out = np.full(links.size, -1, dtype=np.int64)
    if links.size == 0:
        return out
    n = indptr.size - 1
    owners, rank = np.unique(owner, return_inverse=True)
    positions, degree = row_positions(indptr, owners)
    keys = np.unique(
        np.repeat(np.arange(owners.size, dtype=np.int64), degree) * n + indices[positions]
    )
    first = np.searchsorted(keys, np.arange(owners.size, dtype=np.int64) * n)
    count = np.diff(np.append(first, keys.size))
    partner = indices[links].astype(np.int64)
    at = np.searchsorted(keys, rank * n + partner) - first[rank]
    others = count[rank] - 1
    ok = others > 0
    k = np.minimum((u * np.maximum(others, 1)).astype(np.int64), np.maximum(others - 1, 0))
    pick = first[rank] + k + (k >= at)
    out[ok] = keys[pick[ok]] % n
    return out


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
