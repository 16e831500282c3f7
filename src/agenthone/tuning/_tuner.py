"""Hyperparameter search over fine-tuning jobs: one Optuna trial is one tracked job.

Every trial samples hyperparameters, is checked against the study's cost cap and the monthly budget, and
runs as an ordinary job (:class:`~agenthone.training.JobManager`) whose MLflow run is the trial's child run
under the study's parent run. While the job trains its validation metrics are reported as intermediate
values, and a trial the pruner stops has its job cancelled (a local job's process is stopped and waited
for). Studies live in Optuna's RDB storage, so a study of the same name resumes, several workers can share
one (PostgreSQL), and a dead worker's trials are failed through heartbeats.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agenthone.config import Settings
from agenthone.errors import ConfigError, HoneError
from agenthone.training import BudgetError, Job, JobManager
from agenthone.tuning._objective import Objective, objectives
from agenthone.tuning._space import SearchSpace, TuneSpec, default_space, load_spec, space_as_dict
from agenthone.tuning._storage import open_storage, redact_url, tuning_section

if TYPE_CHECKING:
    import optuna
    import pandas as pd
    from matplotlib.figure import Figure

    from agenthone.datasets import Dataset
    from agenthone.registry import ModelVersionInfo
    from agenthone.store import Store

__all__ = ["PRUNERS", "TrialFailedError", "TuneResult", "Tuner", "best_trial", "spend", "study_figures"]

PRUNERS = ("median", "hyperband", "successive_halving", "wilcoxon", "percentile", "none")
"""Pruners by name (``--pruner``): median (default), Hyperband, successive halving, Wilcoxon (per-example
evaluations of an evaluation objective), the 25th percentile, or none."""

_OPENAI_NAMES = {"n_epochs": "epochs"}
"""Search-space names that :meth:`JobManager.submit` knows under another name."""


class TrialFailedError(HoneError):
    """A trial's job did not succeed (or could not be launched); the trial is recorded failed and the study goes on."""


class _StopStudy(HoneError):
    """A trial was not launched because it would break a budget; the study stops after recording it."""


@dataclass
class TuneResult:
    """What a search did: the study, its best trial(s), and why it stopped."""

    study_name: str
    storage: str
    directions: list[str]
    objectives: list[str]
    trials: int
    states: dict[str, int]
    best: dict[str, Any] | None
    pareto: list[dict[str, Any]]
    parent_run_id: str | None
    stopped: str | None = None
    registered: dict[str, Any] | None = None
    new_trials: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> list[str]:
        states = ", ".join(f"{n} {s.lower()}" for s, n in self.states.items() if n)
        lines = [f"study {self.study_name}: {self.trials} trials ({states}); {self.new_trials} run now"]
        if self.best:
            values = ", ".join(f"{k} {v:.4g}" for k, v in self.best["values"].items())
            lines.append(f"best: trial {self.best['number']} ({values}) job {self.best.get('job_id')}")
            lines.append("  " + ", ".join(f"{k}={_short(v)}" for k, v in self.best["params"].items()))
        if len(self.objectives) > 1:
            lines.append(f"Pareto front: {len(self.pareto)} trials")
        if self.stopped:
            lines.append(f"stopped: {self.stopped}")
        if self.registered:
            lines.append(f"registered {self.registered['name']} version {self.registered['version']}")
        return lines


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@dataclass
class _Run:
    """One search in progress (shared by the objective and the callbacks)."""

    study: Any
    dataset: Dataset
    provider: str
    method: str
    base_model: str | None
    objectives: list[Objective]
    space: SearchSpace
    fixed: dict[str, Any]
    pruner: str
    max_cost_usd: float | None
    eval_examples: int
    seed: int | None
    provider_options: dict[str, Any]
    parent_run_id: str | None
    poll_s: float
    on_poll: Callable[[Any, Job], None] | None
    log_models: bool
    stopped: list[str] = field(default_factory=list)
    new_trials: int = 0
    shared_base: str | None = None
    """Local scratch studies: the small model built for the first trial, which every later trial starts from."""
    estimates: dict[Any, float] = field(default_factory=dict)
    """Provider estimates by epochs (a local scratch estimate trains a tokenizer: once is enough)."""


class Tuner:
    """Hyperparameter studies of one workspace: run, resume, show, advise.

    ``Tuner(wb.store, wb.settings)`` (or ``wb.tuner``); searching needs a writable store, reading does not.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.jobs = JobManager(store, settings)

    @classmethod
    def open(cls, wb: Any) -> Tuner:
        return cls(wb.store, wb.settings)

    # -- studies -----------------------------------------------------------------------------------

    def storage(self, url: str | None = None) -> optuna.storages.RDBStorage:
        return open_storage(self.settings, url)

    def load(self, study: str, *, storage: str | None = None) -> optuna.Study:
        """The study ``study`` from the storage (default: the workspace's)."""
        import optuna

        store = self.storage(storage)
        names = [s.study_name for s in store.get_all_studies()]
        if study not in names:
            known = ", ".join(names[-8:]) or "none yet; start one with `hone tune --dataset NAME`"
            raise HoneError(f"no study {study!r} in {redact_url(storage or self.settings.optuna_storage)} ({known})")
        return optuna.load_study(study_name=study, storage=store)

    def latest(self, *, storage: str | None = None) -> str | None:
        """The name of the study created last in the storage (None when there is none)."""
        found = self.storage(storage).get_all_studies()
        return max(found, key=lambda s: s._study_id).study_name if found else None

    def studies(self, *, storage: str | None = None) -> pd.DataFrame:
        """Every study in the storage: name, dataset, provider, objectives, trials, best value."""
        import pandas as pd

        rows = []
        for s in self.storage(storage).get_all_studies():
            attrs = s.user_attrs
            rows.append(
                {
                    "study": s.study_name,
                    "dataset": attrs.get("dataset"),
                    "provider": attrs.get("provider"),
                    "method": attrs.get("method"),
                    "objectives": ",".join(attrs.get("objectives") or []),
                    "directions": ",".join(d.name.lower() for d in s.directions),
                }
            )
        return pd.DataFrame(rows, columns=["study", "dataset", "provider", "method", "objectives", "directions"])

    # -- searching ---------------------------------------------------------------------------------

    def run(
        self,
        dataset: str | Dataset,
        *,
        provider: str = "local",
        method: str = "sft",
        trials: int | None = None,
        timeout: float | None = None,
        objective: str | Sequence[str] | None = None,
        study: str | None = None,
        spec: str | Path | TuneSpec | None = None,
        storage: str | None = None,
        max_cost_usd: float | None = None,
        pruner: str | None = None,
        sampler: str | None = None,
        enqueue: Sequence[Mapping[str, Any]] = (),
        worker: bool = False,
        warm_start: bool = False,
        register_best: str | None = None,
        register_alias: str = "challenger",
        base_model: str | None = None,
        fixed: Mapping[str, Any] | None = None,
        eval_examples: int | None = None,
        seed: int | None = None,
        provider_options: Mapping[str, Any] | None = None,
        log_models: bool = True,
        log_figures: bool = True,
        on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
        on_poll: Callable[[Any, Job], None] | None = None,
    ) -> TuneResult:
        """Run (or resume) a study of fine-tuning jobs on ``dataset`` and return what it found.

        ``trials`` new trials are run (default 10); with ``worker`` the process joins the study and runs
        trials until the study holds ``trials`` in all, so several workers (on several machines, one shared
        ``storage``) split the work. ``objective`` names one objective or several (comma-separated: a
        Pareto study, without pruning). ``spec`` (a TOML file) overrides the search space and defaults.
        ``max_cost_usd`` caps the study's total cost: a trial whose estimate would cross it is not launched.
        ``enqueue`` lists configurations to try first; ``warm_start`` enqueues those :meth:`advise` proposes
        from earlier studies and searches its narrowed space. ``register_best`` registers the best trial's
        model under that name with ``register_alias``. ``log_figures`` draws the study's figures onto the parent
        run at the end; ``log_models`` copies each completed local trial's model files to its child run.
        """
        import optuna

        from agenthone.datasets import load

        self.jobs._writable()
        if isinstance(spec, (str, Path)):
            spec = load_spec(spec)
        spec = spec or TuneSpec()
        ds = load(dataset, settings=self.settings) if isinstance(dataset, str) else dataset
        objs = objectives(objective or spec.objective or "valid_loss")
        multi = len(objs) > 1
        n_trials = int(trials if trials is not None else spec.trials or 10)
        if n_trials < 1:
            raise ConfigError(f"trials must be at least 1, got {n_trials}")
        pruner_name = (pruner or spec.pruner or tuning_section(self.settings).get("pruner") or "median").lower()
        if pruner_name not in PRUNERS:
            raise ConfigError(f"unknown pruner {pruner_name!r}; known: {', '.join(PRUNERS)}")
        if pruner_name == "wilcoxon" and (multi or objs[0].source != "evaluation"):
            raise ConfigError("the wilcoxon pruner compares per-example scores: use one evaluation objective "
                              "(edit_similarity, chrf, exact_match, latency)")  # fmt: skip
        if multi:
            pruner_name = "none"  # Optuna prunes single-objective studies only
        cap = max_cost_usd if max_cost_usd is not None else spec.max_cost_usd
        if cap is not None and cap <= 0:
            raise ConfigError(f"--max-cost must be above 0, got {cap}")
        options = dict(provider_options or {})
        fixed_hp = {**spec.fixed, **dict(fixed or {})}
        peft = str(fixed_hp.get("peft") or "auto")
        if peft == "auto":
            peft = "full" if (base_model or "scratch") == "scratch" and provider == "local" else "lora"
        space = {k: p for k, p in spec.apply(default_space(provider, method, peft=peft)).items() if k not in fixed_hp}
        queued = [*spec.enqueue, *[dict(e) for e in enqueue]]
        if warm_start:
            advice = self.advise(ds.name, provider=provider, method=method, objective=objs[0].name, storage=storage)
            space = {**space, **advice.space}
            queued = [*queued, *advice.enqueue]
        for config in queued:
            unknown = set(config) - set(space)
            if unknown:
                raise ConfigError(f"enqueued configuration names {sorted(unknown)}, not in the search space")

        name = study or f"{ds.name}-{provider}-{method}"
        store = self.storage(storage)
        url = storage or self.settings.optuna_storage
        sampler_obj = _sampler(sampler or spec.sampler or "tpe", seed=seed, multi=multi)
        pruner_obj = _pruner(pruner_name, spec.pruner_options)
        study_obj = optuna.create_study(
            study_name=name,
            storage=store,
            directions=[o.direction for o in objs],
            sampler=sampler_obj,
            pruner=pruner_obj,
            load_if_exists=True,
        )
        existing = [d.name.lower() for d in study_obj.directions]
        if existing != [o.direction for o in objs]:
            raise ConfigError(f"study {name} optimises {existing}; objectives {[o.name for o in objs]} do not fit it")
        if study_obj.user_attrs.get("dataset_name") not in (None, ds.name):
            raise ConfigError(f"study {name} tunes on {study_obj.user_attrs['dataset_name']}, not {ds.name}")
        agent, category = _scope(ds)
        for key, value in {
            "dataset": ds.ref,
            "dataset_name": ds.name,
            "provider": provider,
            "method": method,
            "agent": agent,
            "category": category,
            "objectives": [o.name for o in objs],
            "space": space_as_dict(space),
            "pruner": pruner_name,
        }.items():
            if study_obj.user_attrs.get(key) != value:
                study_obj.set_user_attr(key, value)
        self._fail_stale(study_obj)
        for config in queued:
            study_obj.enqueue_trial(dict(config), skip_if_exists=True)

        from agenthone.tuning._runs import parent_run

        parent = parent_run(self.settings, study_obj, storage_url=url)
        run = _Run(
            study=study_obj,
            dataset=ds,
            provider=provider,
            method=method,
            base_model=base_model,
            objectives=objs,
            space=space,
            fixed=fixed_hp,
            pruner=pruner_name,
            max_cost_usd=cap,
            eval_examples=int(eval_examples or spec.eval_examples or 32),
            seed=seed,
            provider_options=options,
            parent_run_id=parent,
            poll_s=float(tuning_section(self.settings).get("poll_interval_s", 1.0)),
            on_poll=on_poll,
            log_models=log_models,
        )
        callbacks: list[Callable[[Any, Any], None]] = [lambda s, t: self._after_trial(run, t)]
        if on_trial is not None:
            callbacks.append(lambda s, t: on_trial(t))
        if worker:
            callbacks.append(lambda s, t: _stop_at(s, n_trials))
        if worker and _counted(study_obj) >= n_trials:
            pass  # the study is complete already: nothing to run
        else:
            interrupted = False
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    study_obj.optimize(
                        lambda trial: self._guarded(run, trial),
                        n_trials=None if worker else n_trials,
                        timeout=timeout if timeout is not None else spec.timeout,
                        catch=(Exception,),
                        callbacks=callbacks,
                    )
            except KeyboardInterrupt:
                interrupted = True
                raise
            finally:
                from agenthone.tuning._runs import finish_parent

                with contextlib.suppress(Exception):
                    finish_parent(self.settings, study_obj, parent, interrupted=interrupted, figures=log_figures)
        result = self.result(study_obj, storage=url, parent_run_id=parent)
        result.stopped = run.stopped[0] if run.stopped else None
        result.new_trials = run.new_trials
        if register_best and result.best:
            result.registered = self.register_best(study_obj, register_best, alias=register_alias).as_dict()
        return result

    def _fail_stale(self, study: optuna.Study) -> None:
        """Fail the RUNNING trials of workers that stopped beating, and cancel their jobs if still going."""
        import optuna

        before = {t.number for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,)):
            if t.number in before and t.user_attrs.get("job_id"):
                with contextlib.suppress(HoneError):
                    job = self.jobs.refresh(str(t.user_attrs["job_id"]))
                    if not job.done:
                        self.jobs.cancel(job.job_id)

    # -- one trial ---------------------------------------------------------------------------------

    def _guarded(self, run: _Run, trial: optuna.Trial) -> float | list[float]:
        """The objective, with why a trial failed kept on the trial (``error``) and on its child run."""
        import optuna

        try:
            return self._objective(run, trial)
        except optuna.TrialPruned:
            raise
        except Exception as exc:
            from agenthone.providers import redact

            message = str(exc).strip() or type(exc).__name__
            trial.set_user_attr("error", redact(message)[:2000])
            raise

    def _objective(self, run: _Run, trial: optuna.Trial) -> float | list[float]:
        import optuna

        run.new_trials += 1
        params = {name: p.suggest(trial) for name, p in run.space.items()}
        hp = {_OPENAI_NAMES.get(k, k): v for k, v in {**run.fixed, **params}.items()}
        key = hp.get("epochs")
        if key not in run.estimates:
            run.estimates[key] = self.jobs.estimate(
                run.dataset,
                provider=run.provider,
                base_model=run.base_model,
                method=run.method,
                epochs=hp.get("epochs"),
                provider_options=run.provider_options or None,
            ).usd
        usd = self._trial_estimate(run.study, run.estimates[key])
        trial.set_user_attr("estimated_cost_usd", usd)
        if run.max_cost_usd is not None:
            spent = spend(run.study)
            if spent + usd > run.max_cost_usd:
                why = (
                    f"trial {trial.number} not launched: its estimated ${usd:,.4f} on top of ${spent:,.4f} spent "
                    f"would cross the study's cap of ${run.max_cost_usd:,.4f}"
                )
                trial.set_user_attr("not_launched", why)
                run.stopped.append(why)
                run.study.stop()
                raise _StopStudy(why)
        tags = {
            "mlflow.parentRunId": run.parent_run_id or "",
            "optuna.study_name": run.study.study_name,
            "optuna.trial_number": str(trial.number),
        }
        if not run.parent_run_id:
            tags.pop("mlflow.parentRunId")
        try:
            job = self.jobs.submit(
                run.dataset,
                provider=run.provider,
                method=run.method,
                base_model=run.shared_base or run.base_model,
                hyperparameters=hp,
                seed=run.seed,
                provider_options=run.provider_options or None,
                mlflow_experiment=_experiment(),
                mlflow_tags=tags,
            )
        except BudgetError as exc:
            trial.set_user_attr("not_launched", str(exc))
            run.stopped.append(f"trial {trial.number} not launched: {exc}")
            run.study.stop()
            raise _StopStudy(str(exc)) from None
        trial.set_user_attr("job_id", job.job_id)
        if run.shared_base:
            trial.set_user_attr("base_model_dir", run.shared_base)
        if job.mlflow_run_id:
            trial.set_user_attr("mlflow_run_id", job.mlflow_run_id)
        try:
            job = self._follow(run, trial, job)
        except KeyboardInterrupt:
            trial.set_user_attr("interrupted", True)
            self._stop_job(job)
            raise
        self._record_cost(trial, job)
        if job.status not in ("succeeded", "failed_gate"):
            raise TrialFailedError(f"job {job.job_id} ended {job.status}" + (f": {job.error}" if job.error else ""))
        values = self._values(run, trial, job)
        from agenthone.tuning._runs import log_trial

        log_trial(self.settings, job, values, log_model=run.log_models, jobs=self.jobs)
        out = [values[o.name] for o in run.objectives]
        if any(not math.isfinite(v) for v in out):
            raise TrialFailedError(f"job {job.job_id}: an objective is not a number ({values})")
        _ = optuna  # imported for the trial types in annotations
        return out[0] if len(out) == 1 else out

    def _follow(self, run: _Run, trial: optuna.Trial, job: Job) -> Job:
        """Sync the job until it is done, reporting its validation metric and pruning it when told to."""
        import optuna

        report_steps = run.pruner not in ("none", "wilcoxon")
        objective = run.objectives[0]
        reported: set[int] = set()
        while not job.done:
            time.sleep(run.poll_s)
            job = self.jobs.refresh(job.job_id)
            _share_scratch_base(run, job)
            if run.on_poll is not None:
                run.on_poll(trial, job)
            if not report_steps:
                continue
            fresh = False
            for step, value in _intermediate(self.jobs, job, objective):
                if step not in reported:
                    trial.report(value, step)
                    reported.add(step)
                    fresh = True
            if fresh and not job.done and trial.should_prune():
                step = max(reported)
                trial.set_user_attr("pruned_at_step", step)
                self.jobs.records.add_event(
                    job.job_id, f"pruned by study {run.study.study_name} (trial {trial.number}) at step {step}"
                )
                job = self._stop_job(job)
                self._record_cost(trial, job)
                raise optuna.TrialPruned(f"pruned at step {step}")
        return job

    def _stop_job(self, job: Job) -> Job:
        """Cancel the job and wait until it has ended (a local job: until its process is gone)."""
        if not job.done:
            with contextlib.suppress(HoneError):
                job = self.jobs.cancel(job.job_id)
        deadline = time.monotonic() + 120
        prov = self.jobs.provider(job.provider, **(job.details.get("provider_options") or {}))
        waiter = getattr(prov, "wait", None)
        if callable(waiter) and job.provider_job_id:
            with contextlib.suppress(Exception):
                waiter(job.provider_job_id, timeout=120)
        while not job.done and time.monotonic() < deadline:
            job = self.jobs.refresh(job.job_id)
            if not job.done:
                time.sleep(0.2)
        return job

    def _record_cost(self, trial: optuna.Trial, job: Job) -> None:
        cost = job.cost_usd if job.cost_usd is not None else job.estimated_cost_usd
        if cost is not None:
            trial.set_user_attr("cost_usd", float(cost))
        seconds = job.details.get("compute_s")
        if isinstance(seconds, (int, float)):
            trial.set_user_attr("compute_s", float(seconds))

    def _trial_estimate(self, study: optuna.Study, provider_estimate: float) -> float:
        """The provider's estimate, or, once trials have finished, their mean actual cost if it is higher."""
        import optuna

        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        costs = [float(t.user_attrs["cost_usd"]) for t in done if "cost_usd" in t.user_attrs]
        if costs:
            return max(provider_estimate, sum(costs) / len(costs))
        return provider_estimate

    def _values(self, run: _Run, trial: optuna.Trial, job: Job) -> dict[str, float]:
        values: dict[str, float] = {}
        final = self.jobs.final_metrics(job.job_id)
        evaluated: dict[str, float] | None = None
        for obj in run.objectives:
            if obj.source == "training":
                value = final.get(obj.metric)
                if value is None:
                    raise TrialFailedError(f"job {job.job_id} reported no {obj.metric}")
                values[obj.name] = float(value)
            elif obj.source == "cost":
                values[obj.name] = float(job.cost_usd if job.cost_usd is not None else job.estimated_cost_usd or 0.0)
            else:
                if evaluated is None:
                    evaluated = self._evaluate(run, trial, job)
                values[obj.name] = evaluated[obj.metric]
        return values

    def _evaluate(self, run: _Run, trial: optuna.Trial, job: Job) -> dict[str, float]:
        """Generate for validation examples chunk by chunk, scoring each (and, with Wilcoxon, pruning early)."""
        import optuna

        from agenthone.evaluation import resolve_model
        from agenthone.evaluation._metrics import score
        from agenthone.providers._base import prompt_of

        split = "validation" if run.dataset.counts.get("validation") else "train"
        examples = list(run.dataset.examples(split))[: run.eval_examples]
        if not examples:
            raise TrialFailedError(f"dataset {run.dataset.ref} has no examples to evaluate trial {trial.number} on")
        model = resolve_model(job.job_id, settings=self.settings, store=self.store)
        metric = run.objectives[0].metric
        sign = 1.0
        scores: dict[str, list[float]] = {}
        latencies: list[float] = []
        chunk = 8
        for start in range(0, len(examples), chunk):
            batch = examples[start : start + chunk]
            began = time.perf_counter()
            replies = model.generate([prompt_of(e) for e in batch], max_new_tokens=96, temperature=0.0)
            per = (time.perf_counter() - began) / len(batch)
            for i, (ex, reply) in enumerate(zip(batch, replies, strict=True)):
                row = score(reply, str(ex.get("reference") or ""))
                row["latency_s"] = per
                latencies.append(per)
                for k, v in row.items():
                    scores.setdefault(k, []).append(v)
                if run.pruner == "wilcoxon":
                    trial.report(sign * row[metric], start + i)
            if run.pruner == "wilcoxon" and trial.should_prune():
                trial.set_user_attr("pruned_at_example", start + len(batch))
                raise optuna.TrialPruned(f"pruned after {start + len(batch)} examples")
        return {k: sum(v) / len(v) for k, v in scores.items()}

    def _after_trial(self, run: _Run, trial: optuna.trial.FrozenTrial) -> None:
        from agenthone.tuning._runs import tag_trial

        with contextlib.suppress(Exception):
            tag_trial(self.settings, trial)

    # -- results -----------------------------------------------------------------------------------

    def result(self, study: optuna.Study, *, storage: str, parent_run_id: str | None = None) -> TuneResult:
        import optuna

        trials = study.get_trials(deepcopy=False)
        states: dict[str, int] = {}
        for t in trials:
            states[t.state.name] = states.get(t.state.name, 0) + 1
        names = list(study.user_attrs.get("objectives") or ["value"])
        best = best_trial(study)
        pareto = []
        if len(study.directions) > 1:
            pareto = [_trial_view(t, names) for t in study.best_trials]
        _ = optuna
        return TuneResult(
            study_name=study.study_name,
            storage=redact_url(storage),
            directions=[d.name.lower() for d in study.directions],
            objectives=names,
            trials=len(trials),
            states=states,
            best=_trial_view(best, names) if best is not None else None,
            pareto=pareto,
            parent_run_id=parent_run_id or study.user_attrs.get("mlflow_parent_run_id"),
        )

    def register_best(self, study: str | optuna.Study, name: str, *, alias: str = "challenger") -> ModelVersionInfo:
        """Register the best trial's model as a new version of ``name`` with ``alias``."""
        from agenthone.registry import register

        study_obj = self.load(study) if isinstance(study, str) else study
        best = best_trial(study_obj)
        if best is None or not best.user_attrs.get("job_id"):
            raise HoneError(f"study {study_obj.study_name} has no completed trial to register")
        return register(
            str(best.user_attrs["job_id"]), name=name, alias=alias, store=self.store, settings=self.settings
        )

    def show(self, study: str, *, storage: str | None = None) -> dict[str, Any]:
        """A study at a glance: its trials, best trial, parameter importances and Pareto front."""
        from agenthone.tuning._report import study_report

        return study_report(self.load(study, storage=storage), storage=storage or self.settings.optuna_storage)

    def trials(self, study: str, *, storage: str | None = None) -> pd.DataFrame:
        """One row per trial: number, state, values, parameters, job, cost, compute seconds."""
        from agenthone.tuning._report import trials_frame

        return trials_frame(self.load(study, storage=storage))

    def advise(
        self,
        dataset: str,
        *,
        provider: str | None = None,
        method: str | None = None,
        objective: str = "valid_loss",
        storage: str | None = None,
        top: float = 0.25,
        enqueue: int = 3,
    ) -> Any:
        """What earlier studies suggest for a new one on ``dataset`` (see :func:`agenthone.tuning.advise`)."""
        from agenthone.tuning._advise import advise

        return advise(
            self.storage(storage),
            dataset,
            provider=provider,
            method=method,
            objective=objective,
            top=top,
            enqueue=enqueue,
        )


# -- helpers -------------------------------------------------------------------------------------------


def _experiment() -> str:
    from agenthone._mlflow import EXPERIMENTS

    return EXPERIMENTS["tuning"]


def _scope(ds: Dataset) -> tuple[str | None, str | None]:
    from agenthone.training._jobs import _dataset_scope

    return _dataset_scope(ds)


def _sampler(name: str, *, seed: int | None, multi: bool) -> Any:
    import optuna

    name = name.lower()
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=3 if not multi else 5)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    raise ConfigError(f"unknown sampler {name!r}; known: tpe, random, nsga2, gp")


def _pruner(name: str, options: Mapping[str, Any]) -> Any:
    import optuna

    opts = dict(options)
    try:
        if name == "median":
            return optuna.pruners.MedianPruner(**{"n_startup_trials": 1, "n_warmup_steps": 1, **opts})
        if name == "percentile":
            return optuna.pruners.PercentilePruner(**{"percentile": 25.0, "n_startup_trials": 1, **opts})
        if name == "hyperband":
            return optuna.pruners.HyperbandPruner(**{"min_resource": 1, **opts})
        if name == "successive_halving":
            return optuna.pruners.SuccessiveHalvingPruner(**{"min_resource": 1, **opts})
        if name == "wilcoxon":
            return optuna.pruners.WilcoxonPruner(**{"p_threshold": 0.1, "n_startup_steps": 8, **opts})
    except TypeError as exc:
        raise ConfigError(f"pruner {name}: {exc}") from None
    return optuna.pruners.NopPruner()


def _intermediate(jobs: JobManager, job: Job, objective: Objective) -> list[tuple[int, float]]:
    """The job's validation points as the study compares them: the objective's own metric when the job
    reports it, else validation loss (negated for a maximised objective)."""
    frame = jobs.metrics(job.job_id)
    column, sign = "validation_loss", 1.0
    if objective.source == "training" and objective.metric in frame.columns:
        column = objective.metric
    elif objective.direction == "maximize":
        if "validation_token_accuracy" in frame.columns:
            column = "validation_token_accuracy"
        else:
            sign = -1.0
    if column not in frame.columns:
        return []
    points = frame[["step", column]].dropna()
    return [(int(s), sign * float(v)) for s, v in zip(points["step"], points[column], strict=True)]


def _share_scratch_base(run: _Run, job: Job) -> None:
    """Once the first local scratch trial has built its small model, later trials start from the same one
    (the same initial weights and tokenizer, and no rebuild per trial)."""
    if run.shared_base or run.provider != "local" or (run.base_model or "scratch") != "scratch":
        return
    folder = job.details.get("base_model_dir")
    if folder and job.status in ("running", "succeeded") and (Path(str(folder)) / "config.json").is_file():
        run.shared_base = str(folder)


def _counted(study: optuna.Study) -> int:
    """Trials that count towards a worker's target: every one but those waiting in the queue."""
    import optuna

    return len([t for t in study.get_trials(deepcopy=False) if t.state != optuna.trial.TrialState.WAITING])


def _stop_at(study: optuna.Study, n_trials: int) -> None:
    if _counted(study) >= n_trials:
        study.stop()


def spend(study: optuna.Study) -> float:
    """What a study's trials have cost so far (their jobs' costs; the estimate of one still running)."""
    total = 0.0
    for t in study.get_trials(deepcopy=False):
        if "cost_usd" in t.user_attrs:
            total += float(t.user_attrs["cost_usd"])
        elif "job_id" in t.user_attrs and "estimated_cost_usd" in t.user_attrs:
            total += float(t.user_attrs["estimated_cost_usd"])
    return total


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best completed trial (multi-objective: the Pareto trial best on the first objective)."""
    import optuna

    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not done:
        return None
    if len(study.directions) == 1:
        return study.best_trial
    front = study.best_trials
    sign = 1.0 if study.directions[0] == optuna.study.StudyDirection.MINIMIZE else -1.0
    return min(front, key=lambda t: sign * float(t.values[0]))


def _trial_view(trial: optuna.trial.FrozenTrial, names: list[str]) -> dict[str, Any]:
    values = list(trial.values or [])
    return {
        "number": trial.number,
        "values": dict(zip(names, values, strict=False)),
        "params": dict(trial.params),
        "job_id": trial.user_attrs.get("job_id"),
        "mlflow_run_id": trial.user_attrs.get("mlflow_run_id"),
        "cost_usd": trial.user_attrs.get("cost_usd"),
    }


def study_figures(study: optuna.Study) -> dict[str, Figure]:
    """The study's figures (Optuna's matplotlib plots); those the study cannot draw yet are left out.

    Optimisation history, intermediate values, parameter importances, parallel coordinates, slices, and
    for a multi-objective study the Pareto front.
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        with contextlib.suppress(Exception):
            matplotlib.use("Agg", force=False)
    import optuna
    from optuna.visualization import matplotlib as ovm

    multi = len(study.directions) > 1
    names = list(study.user_attrs.get("objectives") or [])
    makers: dict[str, Callable[[], Any]] = {}
    first = (lambda t: t.values[0]) if multi else None
    label = names[0] if names else "objective"
    makers["optimization_history"] = lambda: ovm.plot_optimization_history(study, target=first, target_name=label)
    if not multi:
        makers["intermediate_values"] = lambda: ovm.plot_intermediate_values(study)
    makers["param_importances"] = lambda: ovm.plot_param_importances(study, target=first, target_name=label)
    makers["parallel_coordinate"] = lambda: ovm.plot_parallel_coordinate(study, target=first, target_name=label)
    makers["slice"] = lambda: ovm.plot_slice(study, target=first, target_name=label)
    if multi:
        makers["pareto_front"] = lambda: ovm.plot_pareto_front(study, target_names=names or None)
    figures: dict[str, Figure] = {}
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not done:
        return figures
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, make in makers.items():
            try:
                ax = make()
            except Exception:  # not enough trials or parameters for this plot yet
                continue
            axes = ax.flatten() if hasattr(ax, "flatten") else [ax]
            fig = axes[0].figure if len(axes) else None
            if fig is not None:
                figures[key] = fig
    return figures
