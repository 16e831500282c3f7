"""Fine-tuning jobs: submitted behind a cost guard, tracked in the store and MLflow, gated, analysed.

    from agenthone import Workbench
    from agenthone.training import JobManager

    wb = Workbench.open()
    jobs = JobManager.open(wb)
    job = jobs.submit("support-edits", provider="local", epochs=3)   # returns at once
    job = jobs.watch(job.job_id)                                      # polls with backoff until done
    jobs.efficiency(job.job_id).summary()
    jobs.plot(job.job_id)                                             # a matplotlib Figure

Job statuses: ``validating_files``, ``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``, and
``failed_gate`` (succeeded, but the validation metrics missed the quality gate).
"""

from agenthone.training._efficiency import EfficiencyReport, analyze_curves, plot_curves
from agenthone.training._gate import GateResult, QualityGate
from agenthone.training._job import FINAL_STATUSES, Job, JobNotFoundError
from agenthone.training._jobs import BudgetError, CostLimitError, JobManager
from agenthone.training._tables import JOB_TABLES, ensure_job_tables
from agenthone.training._watch import watch_job

__all__ = [
    "FINAL_STATUSES",
    "JOB_TABLES",
    "BudgetError",
    "CostLimitError",
    "EfficiencyReport",
    "GateResult",
    "Job",
    "JobManager",
    "JobNotFoundError",
    "QualityGate",
    "analyze_curves",
    "ensure_job_tables",
    "plot_curves",
    "watch_job",
]
