"""The decision and what follows it (§8.2, §10.3, §10.4, §12, §13, §14).

A decision is structured: what the office (or the level that handled the case) finds most
probable (§10.4) and why, the outcome, who decided (§13.1: the body with the authority),
whether the county party was consulted (§8.2; required by §10.3 when the case was not
handled by the party office) and whether varslingsutvalget was consulted (§12). Recording
it moves the case to «avgjort»; the reporter sees «Under behandling» and is told in the
office's own words (``tell``) that a decision is made -- never the case's details.

Suspension (§13) and reactions (§14) are typed entries: what, from, until, review date,
who decided and who was told (§6a: the bodies that must enforce them may learn of the
decision). Every review date is a deadline in ``list``.
"""

from dataclasses import asdict, dataclass
from datetime import date

from . import case as cases
from .errors import CaseError
from .store import Store

OUTCOMES: dict[str, str] = {
    "trakassering": "Trakassering er lagt til grunn",
    "ikke-trakassering": "Trakassering er ikke lagt til grunn",
    "annet": "Annet utfall",
}
REACTION_TYPES: dict[str, str] = {
    "suspensjon-verv": "Midlertidig fratreden av verv (§13.1)",
    "suspensjon-medlemskap": "Suspensjon av medlemskap (§13.2)",
    "reaksjon": "Reaksjon (§14)",
}
# §13.1: "under behandling av en sak som nevnt i §§ 9 og 10".
SUSPENSION_STATES = frozenset(
    {"bekreftet", "anklagedes-versjon", "omforent-losning", "undersokelse", "kontradiksjon",
     "avgjort", "reaksjon"}
)  # fmt: skip
# §14: "samtidig med at undersøkelsen av saken avsluttes", i.e. after the decision.
REACTION_STATES = frozenset({"avgjort", "reaksjon"})
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Decision:
    facts: str  # §10.4: what appears most probable
    reasons: str
    outcome: str
    decided_by: str  # §13.1
    county_consulted: bool  # §8.2, §10.3
    committee_consulted: bool  # §12
    day: str

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("Avgjort", self.day),
            ("Utfall", OUTCOMES[self.outcome]),
            ("Mest sannsynlige faktum (§10.4)", self.facts),
            ("Begrunnelse", self.reasons),
            ("Avgjort av (§13.1)", self.decided_by),
            ("Fylkespartiet rådført (§8.2, §10.3)", "Ja" if self.county_consulted else "Nei"),
            ("Varslingsutvalget rådført (§12)", "Ja" if self.committee_consulted else "Nei"),
        ]


@dataclass(frozen=True)
class Reaction:
    type: str  # a key of REACTION_TYPES
    what: str
    from_day: str
    until_day: str | None
    review_day: str
    decided_by: str
    told: str  # who was told (§6a)
    day: str

    def line(self) -> str:
        until = f" til {self.until_day}" if self.until_day else " (uten sluttdato)"
        return (
            f"{REACTION_TYPES[self.type]}: {self.what}. Fra {self.from_day}{until}; "
            f"revurderes {self.review_day}. Besluttet av {self.decided_by}. "
            f"Informert: {self.told}."
        )


def decision_of(meta: cases.CaseMeta) -> Decision | None:
    return Decision(**meta.decision) if meta.decision else None


def reactions_of(meta: cases.CaseMeta) -> list[Reaction]:
    return [Reaction(**r) for r in meta.reactions]


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise CaseError(f"{what} mangler.")
    if len(value) > MAX_TEXT:
        raise CaseError(f"{what} er for lang (høyst {MAX_TEXT} tegn).")
    return value


def decide(
    store: Store,
    thread: str,
    *,
    today: date,
    facts: str,
    reasons: str,
    outcome: str,
    decided_by: str,
    county_consulted: bool,
    committee_consulted: bool,
    tell: str | None = None,
) -> cases.CaseView:
    """Record the decision and move the case to «avgjort», in one transaction."""
    case = cases.load_case(store, thread)
    if outcome not in OUTCOMES:
        raise CaseError(f"Ukjent utfall «{outcome}». Velg en av: {', '.join(OUTCOMES)}.")
    if case.meta.level != "partikontoret" and not county_consulted:
        raise CaseError(
            f"Saken håndteres av {cases.LEVELS[case.meta.level].lower()}: da skal det avgjøres "
            "i samråd med fylkespartiet (§10.3). Før det med --county-consulted."
        )
    cases.check_transition(case, "avgjort", None, today)
    found = Decision(
        facts=_text(facts, "Det mest sannsynlige faktum (--facts)"),
        reasons=_text(reasons, "Begrunnelsen (--reasons)"),
        outcome=outcome,
        decided_by=_text(decided_by, "Hvem som avgjorde (--decided-by)"),
        county_consulted=county_consulted,
        committee_consulted=committee_consulted,
        day=today.isoformat(),
    )
    case.meta.decision = asdict(found)
    logged = "\n".join(f"{label}: {value}" for label, value in found.lines())
    with store.transaction():
        cases.update_meta(store, thread, case.meta)
        cases.log_in(store, thread, "avgjorelse", logged, today=today)
        cases.apply_transition(store, case, "avgjort", review_day=None, tell=tell, today=today)
    return cases.load_case(store, thread)


def add_reaction(
    store: Store,
    thread: str,
    *,
    today: date,
    kind: str,
    what: str,
    from_day: date,
    until_day: date | None,
    review_day: date,
    decided_by: str,
    told: str,
) -> cases.CaseView:
    """Record a suspension (§13) or reaction (§14); a §14 reaction moves «avgjort» on to
    «reaksjon». The earliest review date is the case's review date."""
    case = cases.load_case(store, thread)
    if kind not in REACTION_TYPES:
        raise CaseError(f"Ukjent type «{kind}». Velg en av: {', '.join(REACTION_TYPES)}.")
    allowed = REACTION_STATES if kind == "reaksjon" else SUSPENSION_STATES
    if case.state not in allowed:
        why = (
            "Reaksjoner fastsettes når undersøkelsen avsluttes, etter avgjørelsen (§14)"
            if kind == "reaksjon"
            else "Suspensjon kan besluttes under behandlingen av saken (§13.1)"
        )
        raise CaseError(f"{why}; saken er i tilstanden «{case.state}».")
    if until_day is not None and until_day < from_day:
        raise CaseError("Sluttdatoen ligger før startdatoen.")
    if review_day <= today:
        raise CaseError("Revurderingsdatoen må ligge fram i tid.")
    found = Reaction(
        type=kind,
        what=_text(what, "Hva som er besluttet (--what)"),
        from_day=from_day.isoformat(),
        until_day=until_day.isoformat() if until_day else None,
        review_day=review_day.isoformat(),
        decided_by=_text(decided_by, "Hvem som besluttet (--decided-by)"),
        told=_text(told, "Hvem som er informert (--told)"),
        day=today.isoformat(),
    )
    case.meta.reactions.append(asdict(found))
    earliest = min(r["review_day"] for r in case.meta.reactions)
    with store.transaction():
        cases.update_meta(store, thread, case.meta)
        cases.log_in(store, thread, "reaksjon", found.line(), today=today)
        if kind == "reaksjon" and case.state == "avgjort":
            cases.apply_transition(
                store, case, "reaksjon", review_day=review_day, tell=None, today=today
            )
        store.set_review_day(thread, earliest)
    return cases.load_case(store, thread)
