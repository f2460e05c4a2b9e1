"""The Microsoft Teams adapter: activities at POST /api/messages, Adaptive Cards, proactive messages, Graph."""

import warnings

from microsoft_teams.common import ExperimentalWarning

with warnings.catch_warnings():
    # The SDK builds a preview HTML-widget policy when it is imported; joinup uses no preview API, and the
    # test suite turns every warning into an error.
    warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy", category=ExperimentalWarning)
    import microsoft_teams.apps  # noqa: F401
