"""Typed intents: what a person asks for, parsed once from a typed line or filled in from a form."""
