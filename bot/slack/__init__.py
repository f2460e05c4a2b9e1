"""Slack adapter: slack-bolt AsyncApp, payload parsing, Block Kit rendering, App Home and the Slack notifier."""
