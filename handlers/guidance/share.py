"""share?: the information-sharing walkthrough (DfE 2024 advice), ending with a recorded decision.

purpose → lawful basis → special category → necessary and proportionate → being open with the family →
with whom and how → the decision and why → the case reference. joinup never decides for the practitioner;
it records what they decided (shared or not, with whom, on what basis, why) against a case reference.
"""

from __future__ import annotations

from handlers.context import HandlerContext
from handlers.flow import (
    DONE,
    Data,
    Flow,
    Step,
    acceptor,
    button_handler,
    choices,
    flow_handler,
    prepend,
    resumer,
    start,
)
from handlers.guidance.share_text import (
    BASES,
    BASIS_TEXT,
    DECISIONS,
    OPENNESS,
    PROPORTIONATE,
    PURPOSES,
    SPECIAL,
    SPECIAL_TEXT,
    lawful_basis,
    pick,
)
from handlers.messages import Field, InboundMessage, Reply
from handlers.router import Router
from storage import audit
from storage.errors import InvalidInput
from storage.models import SharingDecision
from storage.privacy import refuse_personal_data
from storage.references import CASE_REF_EXAMPLE, CASE_REF_SHAPE, is_case_ref, parse_case_ref

NAME = "share"
SKIP_WORDS = frozenset({"skip", "no", "none", "no reference", "not now", "n/a", "-"})
MAX_WITH_WHOM = 200
MAX_REASON = 500


def case_ref_from(text: str, ctx: HandlerContext) -> str:
    """Return a case reference in upper case, by the one case-reference rule and the area's prefixes.

    Raises:
        InvalidInput: it doesn't look like a case reference (the problem says what one looks like).
        PersonalDataRefused: it holds personal data.
    """
    return str(parse_case_ref(text.strip().strip("."), prefixes=ctx.settings.reference_prefixes))


def _free_text(ctx: HandlerContext, value: str, *, field: str, limit: int, ask: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise InvalidInput(field, ask)
    if len(text) > limit:
        raise InvalidInput(field, f"Please keep it under {limit} characters.")
    with ctx.sessions() as session:
        refuse_personal_data(session=session, text=text, field=field)
    return text


# --- the steps -------------------------------------------------------------------------------------
def _ask_purpose(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text="Why do you want to share information? Choose the closest.",
        buttons=choices(NAME, tuple((label, key) for key, (label, _) in PURPOSES.items())),
    )


def _answer_purpose(value: str, data: Data, ctx: HandlerContext) -> str:
    data["purpose"] = pick(PURPOSES, value, what="why you want to share")
    return "basis"


def _ask_basis(data: Data, ctx: HandlerContext) -> Reply:
    urgent = (
        "If a child is in immediate danger, call 999 now: don't wait to finish this.\n\n"
        if data.get("purpose") == "protect"
        else ""
    )
    return Reply(
        text=urgent + BASIS_TEXT,
        buttons=choices(NAME, tuple((label, key) for key, (label, _) in BASES.items())),
    )


def _answer_basis(value: str, data: Data, ctx: HandlerContext) -> str:
    data["basis"] = pick(BASES, value, what="the lawful basis")
    return "special"


def _ask_special(data: Data, ctx: HandlerContext) -> Reply:
    note = {
        "consent": "Consent is rarely the right basis in safeguarding. If you would share anyway when the "
        "family said no, don't ask for consent: use public task instead, and tell them what you're sharing.\n\n",
        "unsure": "Ask your safeguarding lead or data protection officer if you can, but don't delay if a "
        "child may be at risk. Most agencies use public task.\n\n",
    }.get(str(data.get("basis")), "")
    return Reply(
        text=note + SPECIAL_TEXT,
        buttons=choices(NAME, tuple((label, key) for key, (label, _) in SPECIAL.items())),
    )


def _answer_special(value: str, data: Data, ctx: HandlerContext) -> str:
    data["special"] = pick(SPECIAL, value, what="whether it includes health or other sensitive information")
    return "proportionate"


def _ask_proportionate(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text=PROPORTIONATE,
        buttons=choices(NAME, (("Yes", "yes"), ("I'll cut it down", "cut"), ("Not sure", "unsure"))),
    )


def _answer_proportionate(value: str, data: Data, ctx: HandlerContext) -> str:
    options = {"yes": ("Yes", ("y", "yes", "ok", "yep")), "cut": ("I'll cut it down", ("cut", "cut down"))}
    options["unsure"] = ("Not sure", ("not sure", "unsure", "dont know", "don't know"))
    data["proportionate"] = pick(options, value, what="whether it is necessary and proportionate")
    return "openness"


def _ask_openness(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text="Be open with the child and family about what you'll share and why, unless telling them would "
        "put the child or someone else at greater risk. Will you tell them?",
        buttons=choices(NAME, tuple((label, key) for key, (label, _) in OPENNESS.items())),
    )


def _answer_openness(value: str, data: Data, ctx: HandlerContext) -> str:
    data["openness"] = pick(OPENNESS, value, what="whether you'll tell the family")
    return "whom"


def _ask_whom(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text="Who would you share with, and how? Name the team or role and a secure route, like: "
        "children's front door by secure email. Don't include anything about the family."
    )


def _answer_whom(value: str, data: Data, ctx: HandlerContext) -> str:
    data["with_whom"] = _free_text(
        ctx, value, field="with_whom", limit=MAX_WITH_WHOM, ask="Type the team or role you'd share with."
    )
    return "decision"


def _ask_decision(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text="What have you decided? It's your decision: record it either way.",
        buttons=choices(NAME, tuple((label, key) for key, (label, _) in DECISIONS.items())),
    )


def _answer_decision(value: str, data: Data, ctx: HandlerContext) -> str:
    data["decision"] = pick(DECISIONS, value, what="your decision")
    return "reason"


def _ask_reason(data: Data, ctx: HandlerContext) -> Reply:
    verb = "share" if data.get("decision") == "shared" else "not share"
    return Reply(text=f"In a sentence, why did you decide to {verb}? No names or details about the family.")


def _answer_reason(value: str, data: Data, ctx: HandlerContext) -> str:
    data["reason"] = _free_text(ctx, value, field="reason", limit=MAX_REASON, ask="Type a short reason.")
    return DONE if data.get("case_ref") else "case_ref"


def _ask_case_ref(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text=f"Which case reference should I record this against? Type it, like {CASE_REF_EXAMPLE}, "
        "or skip to finish without recording it here.",
        buttons=choices(NAME, (("Skip", "skip"),)),
    )


def _answer_case_ref(value: str, data: Data, ctx: HandlerContext) -> str:
    data["case_ref"] = "" if value.strip().lower() in SKIP_WORDS else case_ref_from(value, ctx)
    return DONE


async def _finish(data: Data, ctx: HandlerContext) -> Reply:
    decision = str(data.get("decision", "not_shared"))
    basis = lawful_basis(str(data.get("basis", "")), str(data.get("special", "")))
    purpose = PURPOSES.get(str(data.get("purpose")), ("", ()))[0]
    fields = (
        Field("Decision", DECISIONS[decision][0]),
        Field("With", str(data.get("with_whom", ""))),
        Field("Why", purpose),
        Field("Lawful basis", basis),
        Field("Reason", str(data.get("reason", ""))),
    )
    case_ref = str(data.get("case_ref") or "")
    if not case_ref:
        return Reply(
            text="Nothing was recorded in joinup. Write your decision and the reasons in your own case record.",
            fields=fields,
        )
    with ctx.sessions.begin() as session:
        row = SharingDecision(
            case_ref=case_ref,
            person_id=ctx.person_id,
            at=ctx.clock.now(),
            decision=decision,
            with_whom=str(data.get("with_whom", "")),
            purpose=purpose,
            lawful_basis=basis,
            reason=str(data.get("reason", "")),
        )
        session.add(row)
        session.flush()
        audit.record(
            session=session,
            at=ctx.clock.now(),
            actor=ctx.actor,
            action="sharing.recorded",
            subject=f"case:{case_ref}",
            data={"sharing_decision_id": row.id, "decision": decision, "lawful_basis": basis},
        )
    return Reply(
        text=f"Recorded your decision against {case_ref}. Write it in your own case record too.",
        fields=fields,
    )


SHARE = Flow(
    name=NAME,
    steps=(
        Step("purpose", _ask_purpose, _answer_purpose),
        Step("basis", _ask_basis, _answer_basis),
        Step("special", _ask_special, _answer_special),
        Step("proportionate", _ask_proportionate, _answer_proportionate),
        Step("openness", _ask_openness, _answer_openness),
        Step("whom", _ask_whom, _answer_whom),
        Step("decision", _ask_decision, _answer_decision),
        Step("reason", _ask_reason, _answer_reason),
        Step("case_ref", _ask_case_ref, _answer_case_ref),
    ),
    finish=_finish,
    intro="Let's think through sharing information. Data protection law doesn't stop you sharing to keep "
    "a child safe. I won't decide for you; at the end I can record your decision.",
)


async def share(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Start the walkthrough; 'share? NB-204518' records the decision against that reference at the end."""
    args = (msg.action_value or "") if msg.action else ctx.args
    prefixes = ctx.settings.reference_prefixes
    refs = [word for word in args.split() if is_case_ref(word.strip(".,?"), prefixes=prefixes)]
    data: Data = {"case_ref": case_ref_from(refs[-1].strip(".,?"), ctx)} if refs else {}
    reply = await start(SHARE, ctx, data=data)
    if refs:
        return prepend(f"I'll record the decision against {data['case_ref']}.", reply)
    if args.strip():  # 'share? John Smith': not echoed, and not kept
        return prepend(
            f"That doesn't look like a case reference, so I haven't kept it. {CASE_REF_SHAPE} "
            "I'll ask for the reference at the end.",
            reply,
        )
    return reply


_press = button_handler(SHARE, expired="That walkthrough has finished. Type share? to start a new one.")


def register(router: Router) -> None:
    """Register share?, its flow and its buttons."""
    router.command(
        "share",
        share,
        aliases=("share?", "sharing", "infoshare", "consent", "gdpr"),
        summary="Think through sharing information about a child, and record your decision.",
        usage="share? [case reference]",
        details="Walks through why you're sharing, the lawful basis (consent is usually not the right one), "
        "what is necessary and proportionate, being open with the family, and who you'd share with. "
        "At the end it records your decision against a case reference, if you give one.",
        examples=("share?", "share? NB-204518", "can I share without consent?"),
    )
    router.flow(
        NAME,
        flow_handler(SHARE),
        label="the information-sharing questions",
        free_text_steps=("whom", "reason"),
        resume=resumer(SHARE),
        accepts=acceptor(SHARE),
    )
    router.action(NAME, _press)
    router.action("share.start", share)
    router.phrase(r"(?:can|could|should|may|must)\s+i\s+(?:share|tell|pass\s+on)\b.*", "share")
    router.phrase(r"(?:is\s+it\s+ok(?:ay)?\s+to\s+share|information\s+sharing|info\s+sharing)\b.*", "share")
    router.phrase(r"do\s+i\s+need\s+consent\b.*", "share")
