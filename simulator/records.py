"""The records of a run told as a story: what happened to whom, on which day, through what.

The engine tells its recorder about every step of the day. A `NullRecorder`, which every run of
a Monte Carlo batch has, keeps nothing, so the loop pays a call and no more; a `Recorder` keeps
a `Record` of every activity, report, bribe, refused offer, extortion, held report passed on,
search sent by a tip, timing link, identification from a listened-to call, find, exposure,
seizure, reveal and cascade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.population import Population
from simulator.scenario.model import Scenario

# The ways an arrest gives a link away, in the order a reveal record joins them.
ROUTES = ("device", "metadata", "interrogation")


@dataclass(frozen=True)
class Record:
    """One thing that happened, kept when a run is recorded for its story.

    kind: "activity" (mechanism = activity; other = partner; detail "registered" or ""),
    "registration", "report" and "bribe" (mechanism = observer; detail = activity; other = the
    actor a report about a partner concerns; a bribe's amount is the money paid), "offer" (a
    refused bribe reported with the occurrence: as a report, its amount the extra weight),
    "extorted" (as a bribe: person = actor, other = partner, amount = the money demanded and
    paid for holding the report), "passed_on" (a held report passed on: as a report, `since` the
    day of the occurrence), "search" (mechanism = check sent by a tip to person's home; `via` the
    observer whose report of day `since` sent it), "linked" (an operator links the hidden sender
    of sealed messages to her by their timing: mechanism = observer; person = the sender; other =
    the message's recipient, or -1 for a post; detail = activity; amount = how many of her sealed
    messages on the channel it had observed), "voice" (mechanism = observer; detail = activity;
    person = the caller her voice on a listened-to call identified), "named" (mechanism =
    observer; detail = activity; person = whom a name spoken on it identified; other = the
    caller), "find" (mechanism = check; detail = state; other = the guest; `via` and `since` when
    a tip sent the search), "cascade" (other = whose phone, log or words revealed them; detail ""
    when her phone or the operator's log did, else the ways joined by "+", among "device",
    "metadata" and "interrogation", or "content" for a name in a kept message), "exposed"
    (mechanism = cause), "seized" (detail "unlocked" or "locked"), "reveal" (mechanism =
    channel; other = the revealed person; detail the ways that gave the link away, joined by
    "+": "device", "metadata", "interrogation"; or "content": a message kept on the phone of
    `person` names `other`).
    """

    day: int
    kind: str
    mechanism: str
    person: int
    other: int = -1
    detail: str = ""
    amount: float = 0.0
    via: str = ""
    since: int = 0


class NullRecorder:
    """Keeps nothing: what a run has when nobody will tell its story."""

    @property
    def records(self) -> list[Record] | None:
        """Everything recorded so far, or None when nothing is kept."""
        return None

    def activity(
        self, t: int, activity: str, actor: np.ndarray, partner: np.ndarray, registered: np.ndarray
    ) -> None:
        """Today's occurrences of an activity, and the registrations they made."""

    def observation(
        self,
        t: int,
        observer: str,
        activity: str,
        actor: np.ndarray,
        partner: np.ndarray,
        counts: np.ndarray,
        bribed: np.ndarray | None,
        weight: float,
        sealed: bool,
    ) -> None:
        """What an observer's watchers reported of an activity's occurrences, and the bribes
        (None: no bribe was taken)."""

    def timing(
        self,
        t: int,
        observer: str,
        activity: str,
        sender: np.ndarray,
        recipient: np.ndarray,
        counts: np.ndarray,
        new: np.ndarray,
        seen: np.ndarray,
        weight: float,
    ) -> None:
        """Sealed messages an operator reported whose senders it has linked by timing: the links
        made today (`new`, after `seen` observed messages) and the reports on the senders."""

    def offer(
        self,
        t: int,
        observer: str,
        activity: str,
        actor: np.ndarray,
        partner: np.ndarray,
        offered: np.ndarray,
        weight: float,
        sealed: bool,
    ) -> None:
        """Offers of a bribe an observer refused and reported with the occurrence."""

    def extorted(
        self,
        t: int,
        observer: str,
        activity: str,
        actor: np.ndarray,
        partner: np.ndarray,
        counts: np.ndarray,
    ) -> None:
        """Reports an observer holds over the occurrence's people, who paid her demand."""

    def passed_on(
        self,
        t: int,
        observer: str,
        activities: list[str],
        actor: np.ndarray,
        partner: np.ndarray,
        counts: np.ndarray,
        since: np.ndarray,
        weight: float,
    ) -> None:
        """Held reports an observer passes on today (-1 for a person exposed or not named)."""

    def search(
        self, t: int, check: str, people: np.ndarray, via: list[str], since: np.ndarray
    ) -> None:
        """Searches of people's homes that reports (by `via`, on day `since`) sent for today."""

    def find(
        self,
        t: int,
        check: str,
        holder: np.ndarray,
        guest: np.ndarray,
        state: str,
        weight: float,
        sent: tuple[list[str], np.ndarray] | None = None,
    ) -> None:
        """A check found a state held by `holder` (and the guest behind it, or -1).

        `sent` gives, for a search a tip sent, the observer and the day of the report behind it.
        """

    def overheard(
        self,
        t: int,
        observer: str,
        activity: str,
        how: str,
        people: np.ndarray,
        caller: np.ndarray | None,
        weight: float,
    ) -> None:
        """People a listened-to call identified: its callers by `voice`, or the people `named`."""

    def exposed(self, t: int, people: np.ndarray, cause: np.ndarray, suspicion: np.ndarray) -> None:
        """People exposed today, with every person's cause and suspicion."""

    def seized(self, t: int, people: np.ndarray, unlocked: np.ndarray) -> None:
        """The phones of people exposed today, and whether each was unlocked."""

    def revealed(
        self,
        t: int,
        edges: np.ndarray,
        owner: np.ndarray,
        routes: tuple[np.ndarray, np.ndarray, np.ndarray],
        pairs: np.ndarray,
        alive: np.ndarray,
    ) -> None:
        """Links revealed today (position and owner), and who revealed each person due tomorrow.

        `routes` say, for each link, whether the phone, the log and the interrogation gave it
        away; `pairs` are the distinct (owner * n + revealed person), `alive` which are due.
        """

    def named(
        self,
        t: int,
        links: np.ndarray,
        owner: np.ndarray,
        person: np.ndarray,
        pairs: np.ndarray,
        alive: np.ndarray,
    ) -> None:
        """Conversations kept on seized phones that name someone, after today's reveals.

        `links` are the conversations' positions, `person` whom each names; `pairs` the distinct
        (owner * n + named person), `alive` which of them are due tomorrow.
        """

    def cascade(self, t: int, targets: np.ndarray, alive: np.ndarray) -> None:
        """Yesterday's reveals reach `targets`, the pending people `alive` selects."""

    def resume_from(self, earlier: NullRecorder) -> None:
        """Carry on the records of an earlier engine's recorder."""


class Recorder(NullRecorder):
    """Keeps a record of everything that happens, in the order the day's loop meets it."""

    def __init__(self, scenario: Scenario, population: Population):
        self.s = scenario
        self.pop = population
        self.mechanisms = scenario.mechanisms
        self.channels = list(scenario.channels)
        self._records: list[Record] = []
        # Who revealed each person due for the cascade tomorrow, and how when it is worth telling.
        self.revealer = np.empty(0, dtype=np.int64)
        self.how: list[str] = []

    @property
    def records(self) -> list[Record] | None:
        """Everything recorded so far."""
        return self._records

    def activity(
        self, t: int, activity: str, actor: np.ndarray, partner: np.ndarray, registered: np.ndarray
    ) -> None:
        """Today's occurrences of an activity, and the registrations they made."""
        add = self._records.append
        w = self.s.adversary.weights.registration
        for a, b, r in zip(actor.tolist(), partner.tolist(), registered.tolist()):
            add(Record(t, "activity", activity, a, b, "registered" if r else ""))
            if r:
                add(Record(t, "registration", "registration", a, b, activity, w))
                if b >= 0:
                    add(Record(t, "registration", "registration", b, a, activity, w))

    def observation(
        self,
        t: int,
        observer: str,
        activity: str,
        actor: np.ndarray,
        partner: np.ndarray,
        counts: np.ndarray,
        bribed: np.ndarray | None,
        weight: float,
        sealed: bool,
    ) -> None:
        """What an observer's watchers reported of an activity's occurrences, and the bribes
        (None: no bribe was taken)."""
        bribe = self.s.observers[observer].bribe
        price = bribe.price if bribe is not None else 0.0
        add = self._records.append
        if bribed is None:
            bribed = np.zeros(counts.size, dtype=np.int64)
        for i in np.flatnonzero((counts > 0) | (bribed > 0)):
            a, b = int(actor[i]), int(partner[i])
            if bribed[i]:
                add(Record(t, "bribe", observer, a, b, activity, price * int(bribed[i])))
            if counts[i]:
                amount = weight * int(counts[i])
                # Under sealed sender the operator's log names the recipient, not the sender.
                if not sealed:
                    add(Record(t, "report", observer, a, b, activity, amount))
                if b >= 0:
                    add(Record(t, "report", observer, b, a, activity, amount))

    def timing(
        self,
        t: int,
        observer: str,
        activity: str,
        sender: np.ndarray,
        recipient: np.ndarray,
        counts: np.ndarray,
        new: np.ndarray,
        seen: np.ndarray,
        weight: float,
    ) -> None:
        """Sealed messages an operator reported whose senders it has linked by timing: the links
        made today (`new`, after `seen` observed messages) and the reports on the senders."""
        add = self._records.append
        for a, b, c, n, k in zip(
            sender.tolist(), recipient.tolist(), counts.tolist(), new.tolist(), seen.tolist()
        ):
            if n:
                add(Record(t, "linked", observer, a, b, activity, float(k)))
            add(Record(t, "report", observer, a, b, activity, weight * int(c)))

    def offer(
        self,
        t: int,
        observer: str,
        activity: str,
        actor: np.ndarray,
        partner: np.ndarray,
        offered: np.ndarray,
        weight: float,
        sealed: bool,
    ) -> None:
        """Offers of a bribe an observer refused and reported with the occurrence."""
        add = self._records.append
        for i in np.flatnonzero(offered > 0):
            a, b = int(actor[i]), int(partner[i])
            amount = weight * int(offered[i])
            if not sealed:
                add(Record(t, "offer", observer, a, b, activity, amount))
            if b >= 0:
                add(Record(t, "offer", observer, b, a, activity, amount))

    def extorted(
        self,
        t: int,
        observer: str,
        activity: str,
        actor: np.ndarray,
        partner: np.ndarray,
        counts: np.ndarray,
    ) -> None:
        """Reports an observer holds over the occurrence's people, who paid her demand."""
        bribe = self.s.observers[observer].bribe
        demand = bribe.demanded if bribe is not None else 0.0
        add = self._records.append
        for a, b, k in zip(actor.tolist(), partner.tolist(), counts.tolist()):
            add(Record(t, "extorted", observer, a, b, activity, demand * k))

    def passed_on(
        self,
        t: int,
        observer: str,
        activities: list[str],
        actor: np.ndarray,
        partner: np.ndarray,
        counts: np.ndarray,
        since: np.ndarray,
        weight: float,
    ) -> None:
        """Held reports an observer passes on today (-1 for a person exposed or not named)."""
        add = self._records.append
        for act, a, b, k, d in zip(
            activities, actor.tolist(), partner.tolist(), counts.tolist(), since.tolist()
        ):
            for person, other in ((a, b), (b, a)):
                if person >= 0:
                    add(Record(t, "passed_on", observer, person, other, act, weight * k, since=d))

    def search(
        self, t: int, check: str, people: np.ndarray, via: list[str], since: np.ndarray
    ) -> None:
        """Searches of people's homes that reports (by `via`, on day `since`) sent for today."""
        add = self._records.append
        for person, observer, day in zip(people.tolist(), via, since.tolist()):
            add(Record(t, "search", check, person, via=observer, since=day))

    def find(
        self,
        t: int,
        check: str,
        holder: np.ndarray,
        guest: np.ndarray,
        state: str,
        weight: float,
        sent: tuple[list[str], np.ndarray] | None = None,
    ) -> None:
        """A check found a state held by `holder` (and the guest behind it, or -1).

        `sent` gives, for a search a tip sent, the observer and the day of the report behind it.
        """
        add = self._records.append
        via, since = sent if sent is not None else ([""] * holder.size, np.zeros(holder.size))
        for h, g, v, d in zip(holder.tolist(), guest.tolist(), via, since.tolist()):
            add(Record(t, "find", check, h, g, state, weight, v, int(d)))
            if g >= 0:
                add(Record(t, "find", check, g, h, state, weight, v, int(d)))

    def overheard(
        self,
        t: int,
        observer: str,
        activity: str,
        how: str,
        people: np.ndarray,
        caller: np.ndarray | None,
        weight: float,
    ) -> None:
        """People a listened-to call identified: its callers by `voice`, or the people `named`."""
        callers = [-1] * people.size if caller is None else caller.tolist()
        for person, other in zip(people.tolist(), callers):
            self._records.append(Record(t, how, observer, person, other, activity, weight))

    def exposed(self, t: int, people: np.ndarray, cause: np.ndarray, suspicion: np.ndarray) -> None:
        """People exposed today, with every person's cause and suspicion."""
        for person in people.tolist():
            self._records.append(
                Record(
                    t,
                    "exposed",
                    self.mechanisms[cause[person]],
                    person,
                    amount=float(suspicion[person]),
                )
            )

    def seized(self, t: int, people: np.ndarray, unlocked: np.ndarray) -> None:
        """The phones of people exposed today, and whether each was unlocked."""
        for person, u in zip(people.tolist(), unlocked.tolist()):
            self._records.append(
                Record(t, "seized", "", person, detail="unlocked" if u else "locked")
            )

    def revealed(
        self,
        t: int,
        edges: np.ndarray,
        owner: np.ndarray,
        routes: tuple[np.ndarray, np.ndarray, np.ndarray],
        pairs: np.ndarray,
        alive: np.ndarray,
    ) -> None:
        """Links revealed today (position and owner), and who revealed each person due tomorrow.

        `routes` say, for each link, whether the phone, the log and the interrogation gave it
        away; `pairs` are the distinct (owner * n + revealed person), `alive` which are due.
        """
        pop = self.pop
        how: dict[int, set[str]] = {}
        for e, o, r, *ways in zip(
            edges.tolist(),
            owner.tolist(),
            pop.indices[edges].tolist(),
            *(w.tolist() for w in routes),
        ):
            channel = self.channels[int(pop.edge_channel[e])]
            route = "+".join(name for name, on in zip(ROUTES, ways) if on)
            self._records.append(Record(t, "reveal", channel, int(o), int(r), route))
            how.setdefault(int(o) * pop.size + int(r), set()).update(route.split("+"))
        due = pairs[alive].tolist()
        self.revealer = (pairs // pop.size)[alive]
        # The cascade tells the way only when it is not the phone or the log alone.
        self.how = [
            "+".join(w for w in ROUTES if w in how[p]) if "interrogation" in how[p] else ""
            for p in due
        ]

    def named(
        self,
        t: int,
        links: np.ndarray,
        owner: np.ndarray,
        person: np.ndarray,
        pairs: np.ndarray,
        alive: np.ndarray,
    ) -> None:
        """Conversations kept on seized phones that name someone, after today's reveals.

        `links` are the conversations' positions, `person` whom each names; `pairs` the distinct
        (owner * n + named person), `alive` which of them are due tomorrow.
        """
        pop = self.pop
        for e, o, q in zip(links.tolist(), owner.tolist(), person.tolist()):
            channel = self.channels[int(pop.edge_channel[e])]
            self._records.append(Record(t, "reveal", channel, int(o), int(q), "content"))
        more = (pairs // pop.size)[alive]
        self.revealer = np.concatenate([self.revealer, more])
        self.how = [*self.how, *(["content"] * more.size)]

    def cascade(self, t: int, targets: np.ndarray, alive: np.ndarray) -> None:
        """Yesterday's reveals reach `targets`, the pending people `alive` selects."""
        weights = self.s.adversary.weights
        how = [h for h, a in zip(self.how, alive.tolist()) if a]
        for target, owner, way in zip(targets.tolist(), self.revealer[alive].tolist(), how):
            weight = weights.content_weight if way == "content" else weights.cascade
            self._records.append(Record(t, "cascade", "cascade", target, owner, way, weight))

    def resume_from(self, earlier: NullRecorder) -> None:
        """Carry on the records of an earlier engine's recorder, and the reveals it left due."""
        if isinstance(earlier, Recorder):
            self._records = earlier._records
            self.revealer = earlier.revealer
            self.how = earlier.how
