"""Every table joinup stores, on one SQLModel metadata."""

from storage.models.audit import AuditEvent
from storage.models.directory import (
    Agency,
    ConcernTaxonomy,
    ContactRoute,
    DirectorySource,
    DirectoryVersion,
    EscalationContact,
    Synonym,
    Team,
)
from storage.models.escalation import Escalation, EscalationStep, PolicyVersion
from storage.models.inbox import InboxItem
from storage.models.outbox import DigestRun, Reminder
from storage.models.people import ConversationRef, ConversationState, Person, ProcessedEvent, RoleGrant
from storage.models.tracking import ContactAttempt, SharingDecision, TrackedItem

__all__ = [
    "Agency",
    "AuditEvent",
    "ConcernTaxonomy",
    "ContactAttempt",
    "ContactRoute",
    "ConversationRef",
    "ConversationState",
    "DigestRun",
    "DirectorySource",
    "DirectoryVersion",
    "Escalation",
    "EscalationContact",
    "EscalationStep",
    "InboxItem",
    "Person",
    "PolicyVersion",
    "ProcessedEvent",
    "Reminder",
    "RoleGrant",
    "SharingDecision",
    "Synonym",
    "Team",
    "TrackedItem",
]
