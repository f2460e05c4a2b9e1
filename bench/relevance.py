"""joinup bench relevance: does the directory send practitioners to the right team, briefly and safely?

Runs the labelled queries in bench/relevance.yaml against the Northbrook demo, each at its own time, through
the real router and Dispatcher as a console user would, and reads what the first screen showed: the team
names in the order they appear. It reports, on the whole set and on the held-out set (written before the
concern taxonomy and never used to tune it):

- top-1: the first contact shown is an acceptable first result (or, for explain queries, an explanation);
- must-have recall: the share of must-have contacts that are among the first three shown;
- forbidden hits: contacts shown that must never appear (target 0);
- noise: the share of shown contacts outside the acceptable ones;
- first-screen length (characters as the console prints it), p50 / p95 / max;
- first screens about a child without the 999 line (target 0).

The baseline is the word search joinup had before concerns (directory.search.search, top three, each
rendered as a full card), measured in the same run on the same queries.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import yaml
from sqlmodel import Session, SQLModel

from bench.cli import bench, percentile, write_result
from bot.console import render_text
from bot.runtime import build_router
from directory.demo import load_demo
from directory.index import current_index
from directory.search import search
from handlers.dispatch import Dispatcher
from handlers.find.render import IMMEDIATE_DANGER, result_section
from handlers.find.screen import MORE
from handlers.messages import InboundMessage, RecordingNotifier, Reply
from schedules.settings import DomainSettings
from schedules.time.calendar import LONDON
from schedules.time.calendars import day_calendar
from schedules.time.clock import FakeClock
from storage.db import make_engine, make_sessions

LABELS = Path(__file__).with_name("relevance.yaml")
START = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)  # a Wednesday, front doors open
TIMES = {
    "evening": datetime(2026, 11, 25, 20, 30, tzinfo=LONDON),
    "weekend": datetime(2026, 11, 28, 14, 0, tzinfo=LONDON),
}
TARGETS = {"top-1 %": 95.0, "forbidden hits": 0, "noise %": 10.0, "first screen p95 chars": 700}
_ROLE_QUESTION = re.compile(r"^(?:what(?:'s|\s+is|\s+are|\s+does|\s+do)|who\s+(?:is|are))\b", re.I)


@dataclass
class Tally:
    """The figures for one set of queries."""

    queries: int = 0
    top1: int = 0
    must: int = 0
    must_found: int = 0
    forbidden: int = 0
    shown: int = 0
    noise: int = 0
    lengths: list[int] = field(default_factory=list)
    child_without_999: int = 0
    misses: list[str] = field(default_factory=list)

    def add(
        self,
        label: dict[str, Any],
        shown: list[str],
        *,
        explained: bool,
        screen: str,
        is_directory: bool = True,
    ) -> None:
        """Score one query's first screen."""
        self.queries += 1
        self.lengths.append(len(screen))
        if label.get("explain"):
            self.top1 += explained
            if not explained:
                self.misses.append(f"{label['q']}: searched instead of explained")
            return
        acceptable = {*label.get("first", ()), *label.get("top3", ()), *label.get("ok", ())}
        is_top1 = bool(shown) and shown[0] in label.get("first", ())
        self.top1 += is_top1
        self.must += len(label.get("top3", ()))
        self.must_found += len(set(label.get("top3", ())) & set(shown[:3]))
        never = set(label.get("never", ())) & set(shown)
        self.forbidden += len(never)
        self.shown += len(shown)
        self.noise += sum(1 for key in shown if key not in acceptable)
        # Only directory answers are first screens (a command such as "escalations" answers otherwise).
        if not label.get("adult") and is_directory and IMMEDIATE_DANGER not in screen:
            self.child_without_999 += 1
        if not is_top1 or never:
            self.misses.append(f"{label['q']}: showed {shown[:4]}")

    def summary(self) -> dict[str, Any]:
        """Return the figures as the report's row."""
        return {
            "queries": self.queries,
            "top-1 %": round(100 * self.top1 / max(self.queries, 1), 1),
            "must-have recall %": round(100 * self.must_found / max(self.must, 1), 1),
            "forbidden hits": self.forbidden,
            "noise %": round(100 * self.noise / max(self.shown, 1), 1),
            "first screen p50 chars": percentile([float(n) for n in self.lengths], 0.5),
            "first screen p95 chars": percentile([float(n) for n in self.lengths], 0.95),
            "first screen max chars": max(self.lengths, default=0),
            "child screens without 999": self.child_without_999,
        }


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    """Read the labelled queries."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data["queries"])


def _at(label: dict[str, Any]) -> datetime:
    when = label.get("at")
    if not when:
        return START
    return TIMES.get(str(when)) or datetime.fromisoformat(str(when)).replace(tzinfo=LONDON)


def shown_teams(text: str, names: dict[str, str]) -> list[str]:
    """Return the keys of the teams a screen names, in the order it names them."""
    found: list[tuple[int, int, str]] = []
    for name, key in names.items():
        start = text.find(name)
        while start >= 0:
            found.append((start, -len(name), key))
            start = text.find(name, start + 1)
    result: list[str] = []
    covered_to = -1
    for start, negative_length, key in sorted(found):
        if start < covered_to:
            continue  # a shorter name inside a longer one already counted
        covered_to = start - negative_length
        if key not in result:
            result.append(key)
    return result


async def _run(labels: list[dict[str, Any]]) -> dict[str, Tally]:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    sessions = make_sessions(engine)
    clock = FakeClock(START)
    with sessions.begin() as session:
        load_demo(session, clock)
    router = build_router()
    with Session(engine) as session:
        index = current_index(session, at=START)
        names = {team.name: team.key for team in index.teams}
    tallies = {name: Tally() for name in ("all", "held out", "baseline all", "baseline held out")}
    for label in labels:
        at = _at(label)
        # Time only moves forward on a FakeClock, so each query gets its own dispatcher at its own time.
        dispatcher = Dispatcher(
            router=router,
            sessions=sessions,
            clock=FakeClock(at),
            notifier=RecordingNotifier(),
            settings=DomainSettings(),
        )
        reply = await dispatcher.handle(
            InboundMessage(platform="console", sender_key="hv.amy", text=label["q"])
        )
        screen, _ = render_text(reply)
        explained = not any(b.action == MORE for b in reply.buttons) and not reply.sections
        # Duty lines may name a service ("Channel panels") without recommending it: count contacts only.
        contacts = "\n".join(line for line in reply.text.split("\n") if not line.startswith("Duty"))
        shown = [] if explained else shown_teams(contacts, names)
        sets = ["all", "held out"] if label.get("held_out") else ["all"]
        for name in sets:
            tallies[name].add(
                label,
                shown,
                explained=explained,
                screen=screen,
                is_directory=any(b.action == MORE for b in reply.buttons),
            )
        base_shown, base_screen, base_explained = _baseline(sessions, label["q"], at, names)
        for name in sets:
            tallies[f"baseline {name}"].add(label, base_shown, explained=base_explained, screen=base_screen)
    return tallies


def _baseline(sessions: Any, text: str, at: datetime, names: dict[str, str]) -> tuple[list[str], str, bool]:
    """Today's word search before concerns: top three, each as a full card; role questions explained."""
    from handlers.guidance.role import lookup

    question = _ROLE_QUESTION.match(text)
    if question and lookup(text[question.end() :]) is not None:
        return [], "", True
    cleaned = " ".join(text.split()).strip(" ?!.")
    if not cleaned:
        return [], "What are you looking for?", False
    with sessions() as session:
        results = search(session, cleaned, at=at, calendar=day_calendar(nation="ENG"), limit=3)
    if not results:
        return [], f"I couldn't find a service for '{cleaned}'.", False
    reply = Reply(
        text=f"Here's who can help with '{cleaned}'.",
        sections=tuple(result_section(r, at=at) for r in results),
    )
    screen, _ = render_text(reply)
    return [r.team.key for r in results], screen, False


@bench.command("relevance", help="Score directory answers against the labelled practitioner queries.")
@click.option("--labels", type=click.Path(path_type=Path, dir_okay=False), default=LABELS, show_default=True)
@click.option("--smoke", is_flag=True, help="Run only the first 20 queries.")
@click.option("--show-misses", is_flag=True, help="List every query whose first result was not acceptable.")
def relevance(labels: Path, smoke: bool, show_misses: bool) -> None:
    """Run the relevance benchmark."""
    queries = load_labels(labels)[: 20 if smoke else None]
    tallies = asyncio.run(_run(queries))
    summary: dict[str, Any] = {}
    for name, tally in tallies.items():
        for key, value in tally.summary().items():
            summary[f"{name} {key}"] = value
    met = all(
        _meets(tallies[name].summary(), key, target)
        for name in ("all", "held out")
        for key, target in TARGETS.items()
    ) and all(tallies[name].child_without_999 == 0 for name in ("all", "held out"))
    summary["targets met"] = met
    details = {name: {"misses": tally.misses} for name, tally in tallies.items()}
    path = write_result("relevance", summary=summary, details=details)
    for name in ("all", "held out", "baseline all", "baseline held out"):
        row = tallies[name].summary()
        click.echo(f"{name:>18}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
        if show_misses:
            for miss in tallies[name].misses:
                click.echo(f"{'':>20}{miss}")
    click.echo(f"Targets {'met' if met else 'NOT met'}. Wrote {path}.")


def _meets(row: dict[str, Any], key: str, target: float) -> bool:
    if key == "top-1 %":
        return float(row[key]) >= target
    return float(row[key]) <= target
