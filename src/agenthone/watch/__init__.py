"""The unattended loop: ``watch`` every agent (alerts, input drift, new failure patterns, next steps) and
``notify`` people through webhooks, for cron and systemd timers.

    from agenthone import Workbench
    from agenthone.watch import watch, notify, webhooks_from_settings
    with Workbench.open(read_only=True) as wb:
        result = watch(wb.store, registry=wb.prompts)
    if result.needs_person:
        notify(result.title, result.summary(), data=result.as_dict(), webhooks=webhooks_from_settings(wb.settings),
               record=wb.settings.data_dir / "notifications.jsonl")
"""

from agenthone.watch._drift import DRIFT_COLUMNS, PATTERN_COLUMNS, input_drift, new_failure_patterns
from agenthone.watch._notify import Delivery, NotifyError, Webhook, notify, webhooks_from_settings
from agenthone.watch._watch import NEEDS_PERSON_EXIT, WatchResult, next_steps, watch

__all__ = [
    "DRIFT_COLUMNS",
    "NEEDS_PERSON_EXIT",
    "PATTERN_COLUMNS",
    "Delivery",
    "NotifyError",
    "WatchResult",
    "Webhook",
    "input_drift",
    "new_failure_patterns",
    "next_steps",
    "notify",
    "watch",
    "webhooks_from_settings",
]
