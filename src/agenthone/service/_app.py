"""The collector's HTTP face: FastAPI routes over :class:`CollectorCore`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from agenthone.errors import HoneError, StoreLockedError
from agenthone.service._body import BadRequest, decompress, split_records
from agenthone.service._core import CollectorCore, retry_after
from agenthone.service._keys import ROLES, ApiKey, create_key, list_keys, revoke_key

if TYPE_CHECKING:
    import pandas as pd

    from agenthone.config import Settings
    from agenthone.store import Store

__all__ = ["create_app"]

GroupBy = Literal["agent", "category", "task_type", "model", "prompt_version"]
SENDERS = ("collector", "engineer", "admin")
READERS = ("viewer", "engineer", "admin")
ADMINS = ("admin",)

_bearer = HTTPBearer(auto_error=False, description="An API key made with `hone keys create`.")
_RECORDS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object", "additionalProperties": True},
                        {"type": "array", "items": {"type": "object", "additionalProperties": True}},
                    ]
                }
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}
_TRACES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
        },
    }
}


class BatchAnswer(BaseModel):
    kind: str
    received: int
    accepted: int
    duplicate: int
    conflict: int
    rejected: int
    reasons: list[str] = Field(description="the first few `record N: reason` lines")


class Problem(BaseModel):
    detail: str


class NewKey(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Literal["collector", "viewer", "engineer", "admin"]
    agents: list[str] | None = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 408, 413, 415, 429, 503)
}


def _frame(df: pd.DataFrame) -> dict[str, Any]:
    rows = json.loads(df.to_json(orient="records", date_format="iso", default_handler=str))
    attrs = json.loads(json.dumps(dict(df.attrs), default=str))
    return {"rows": rows, "attrs": attrs}


def create_app(settings: Settings, *, core: CollectorCore | None = None) -> FastAPI:
    """The collector app for a workspace (``hone serve`` runs it on uvicorn)."""
    engine = core or CollectorCore(settings)
    limit = int(settings.service.max_body_mb * (1 << 20))
    timeout = float(settings.service.request_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(engine.start)
        try:
            yield
        finally:
            await run_in_threadpool(engine.stop)

    app = FastAPI(
        title="agenthone collector",
        version="1",
        description="Send agent runs, edits, conversations and OpenTelemetry GenAI traces; read analytics.",
        lifespan=lifespan,
    )
    app.state.core = engine

    @app.exception_handler(BadRequest)
    async def _bad(request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        err = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in err.get("loc", ()))
        return JSONResponse({"detail": f"{where}: {err.get('msg', 'invalid request')}"}, status_code=422)

    def client_of(request: Request) -> str | None:
        return f"{request.client.host}:{request.client.port}" if request.client else None

    def guard(roles: tuple[str, ...]) -> Callable[..., Awaitable[ApiKey]]:
        async def dependency(
            request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
        ) -> ApiKey:
            route = f"{request.method} {request.url.path}"
            token = credentials.credentials if credentials else None
            key = engine.authenticate(token)  # a dict lookup and one SHA-256; the key table is re-read once a second
            if key is None:
                engine.audit(
                    action="request.denied", actor="anonymous", route=route, status=401, client=client_of(request)
                )
                raise HTTPException(401, "missing, unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
            common = {"key_id": key.key_id, "key_name": key.name, "role": key.role, "route": route}
            if key.role not in roles:
                engine.audit(action="request.denied", status=403, client=client_of(request), **common)
                raise HTTPException(403, f"role {key.role!r} may not use {route}; it needs {' or '.join(roles)}")
            wait = engine.allow(key)
            if wait is not None:
                engine.audit(action="request.limited", status=429, client=client_of(request), **common)
                raise HTTPException(429, "rate limit exceeded for this key", headers={"Retry-After": retry_after(wait)})
            return key

        return dependency

    def done(request: Request, key: ApiKey, status: int, records: dict[str, int] | None = None) -> None:
        engine.audit(
            action="request",
            key_id=key.key_id,
            key_name=key.name,
            role=key.role,
            route=f"{request.method} {request.url.path}",
            status=status,
            records=records,
            client=client_of(request),
        )

    async def body_of(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BadRequest(f"body of {int(declared):,} bytes; at most {limit:,}", 413)
        chunks: list[bytes] = []
        size = 0

        async def read() -> None:
            nonlocal size
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BadRequest(f"body larger than {limit:,} bytes", 413)
                chunks.append(chunk)

        try:
            await asyncio.wait_for(read(), timeout)
        except TimeoutError:
            raise BadRequest(f"request body not received within {timeout:g} s", 408) from None
        return decompress(b"".join(chunks), request.headers.get("content-encoding"), limit=limit)

    async def receive(request: Request, key: ApiKey, kind: str) -> Response:
        # a validation query being gathered waits a moment for this body (see CollectorCore.receiving)
        with engine.receiving(kind) as arrival:
            try:
                body = await body_of(request)
                texts, parsed = split_records(body, request.headers.get("content-type"))

                def work() -> Any:
                    redacted = engine.redact_texts(texts, parsed)
                    source = f"POST {request.url.path} key={key.name}"
                    return engine.submit(kind, redacted, key=key, source=source, arrival=arrival)

                result = await run_in_threadpool(work)
            except BadRequest as exc:
                done(request, key, exc.status)
                raise
        done(request, key, 200, result.counts())
        return JSONResponse(result.as_dict())  # the shape of BatchAnswer, without validating our own output

    senders = guard(SENDERS)
    readers = guard(READERS)
    admins = guard(ADMINS)

    @app.post("/v1/runs", response_model=BatchAnswer, responses=_ERRORS, openapi_extra=_RECORDS_BODY, tags=["send"])
    async def post_runs(request: Request, key: ApiKey = Depends(senders)) -> Response:
        """Store agent runs: one JSON object, a JSON array or NDJSON (gzip accepted)."""
        return await receive(request, key, "run")

    @app.post("/v1/edits", response_model=BatchAnswer, responses=_ERRORS, openapi_extra=_RECORDS_BODY, tags=["send"])
    async def post_edits(request: Request, key: ApiKey = Depends(senders)) -> Response:
        """Store human edits of AI output."""
        return await receive(request, key, "edit")

    @app.post(
        "/v1/conversations", response_model=BatchAnswer, responses=_ERRORS, openapi_extra=_RECORDS_BODY, tags=["send"]
    )
    async def post_conversations(request: Request, key: ApiKey = Depends(senders)) -> Response:
        """Store conversations in OpenAI chat format."""
        return await receive(request, key, "conversation")

    @app.post("/v1/traces", responses=_ERRORS, openapi_extra=_TRACES_BODY, tags=["send"])
    async def post_traces(request: Request, key: ApiKey = Depends(senders)) -> Response:
        """OTLP/HTTP traces (protobuf or JSON): GenAI semantic-convention spans become runs and conversations."""
        from agenthone.service._otlp import otlp_answer, parse_otlp, spans_to_records

        try:
            body = await body_of(request)
            ctype = request.headers.get("content-type")
            payload = parse_otlp(body, ctype)

            def work() -> dict[str, Any]:
                runs, conversations, ignored = spans_to_records(payload)
                source = f"POST /v1/traces key={key.name}"
                out: dict[str, Any] = {"ignored_spans": ignored}
                for kind, records in (("run", runs), ("conversation", conversations)):
                    texts = [
                        json.dumps(engine.redact_record(r), ensure_ascii=False, separators=(",", ":")) for r in records
                    ]
                    out[kind] = engine.submit(kind, texts, key=key, source=source).counts() if texts else None
                return out

            counts = await run_in_threadpool(work)
        except BadRequest as exc:
            done(request, key, exc.status)
            raise
        rejected = sum((c or {}).get("rejected", 0) for k, c in counts.items() if k != "ignored_spans")
        done(request, key, 200, {k: v["accepted"] for k, v in counts.items() if isinstance(v, dict)})
        return otlp_answer(ctype, rejected, counts)

    @app.get("/v1/health", tags=["service"])
    async def health() -> dict[str, Any]:
        """Liveness and the spool backlog (events acknowledged but not yet in the store). No key needed."""
        return engine.health()

    async def read(request: Request, key: ApiKey, fn: Callable[[Store], pd.DataFrame]) -> dict[str, Any]:
        try:
            df = await run_in_threadpool(engine.read, fn)
        except StoreLockedError:
            done(request, key, 503)
            raise HTTPException(
                503, "the store is busy (open for writing elsewhere); retry", headers={"Retry-After": "2"}
            ) from None
        except (HoneError, ValueError) as exc:
            done(request, key, 400)
            raise HTTPException(400, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        done(request, key, 200)
        return _frame(df)

    Range = Query("30d", description="7d, 30d, 90d, all, or START..END dates", max_length=40)

    @app.get("/v1/agents", responses=_ERRORS, tags=["read"])
    async def agents(request: Request, key: ApiKey = Depends(readers)) -> dict[str, Any]:
        """One row per agent: records of each kind, first and last seen."""
        from agenthone.analytics import agents_overview

        return await read(request, key, agents_overview)

    @app.get("/v1/performance", responses=_ERRORS, tags=["read"])
    async def performance(
        request: Request,
        key: ApiKey = Depends(readers),
        range: str = Range,  # noqa: A002 - the analytics functions call it so
        by: GroupBy = "agent",
    ) -> dict[str, Any]:
        """Per-agent (or per-group) performance over a window: the agent summary."""
        from agenthone.analytics import performance as perf

        return await read(request, key, lambda s: perf(s, range=range, by=by))

    @app.get("/v1/trends", responses=_ERRORS, tags=["read"])
    async def trends(
        request: Request,
        key: ApiKey = Depends(readers),
        range: str = Query("90d", max_length=40),  # noqa: A002
        by: GroupBy = "agent",
        freq: Literal["D", "W"] = "D",
    ) -> dict[str, Any]:
        """Daily or weekly series per group."""
        from agenthone.analytics import trends as tr

        return await read(request, key, lambda s: tr(s, range=range, by=by, freq=freq))

    @app.get("/v1/alerts", responses=_ERRORS, tags=["read"])
    async def alerts(
        request: Request,
        key: ApiKey = Depends(readers),
        recent_days: int = Query(7, ge=1, le=365),
        baseline_days: int = Query(28, ge=1, le=3650),
    ) -> dict[str, Any]:
        """Agents whose success or acceptance rate regressed or sits under the floor."""
        from agenthone.analytics import alerts as al

        return await read(request, key, lambda s: al(s, recent_days=recent_days, baseline_days=baseline_days))

    @app.get("/v1/edit-patterns", responses=_ERRORS, tags=["read"])
    async def edit_patterns(
        request: Request,
        key: ApiKey = Depends(readers),
        agent: str = Query(..., min_length=1, max_length=200),
        range: str = Query("90d", max_length=40),  # noqa: A002
        top: int = Query(10, ge=1, le=100),
    ) -> dict[str, Any]:
        """What people delete from and add to one agent's outputs."""
        from agenthone.analytics.edits import edit_patterns as ep

        return await read(request, key, lambda s: ep(s, agent, range=range, top=top))

    @app.get("/v1/keys", responses=_ERRORS, tags=["admin"])
    async def keys(request: Request, key: ApiKey = Depends(admins)) -> list[dict[str, Any]]:
        """Every API key (never its secret)."""
        found = await run_in_threadpool(list_keys, settings)
        done(request, key, 200)
        return [k.as_dict() for k in found]

    @app.post("/v1/keys", status_code=201, responses=_ERRORS, tags=["admin"])
    async def new_key(request: Request, spec: NewKey, key: ApiKey = Depends(admins)) -> dict[str, Any]:
        """Create a key; the answer holds its token, shown this once."""
        try:
            made, token = await run_in_threadpool(
                lambda: create_key(
                    settings, name=spec.name, role=spec.role, agents=spec.agents, actor=f"key:{key.name}"
                )
            )
        except HoneError as exc:
            done(request, key, 400)
            raise HTTPException(400, str(exc)) from None
        engine.keys.invalidate()
        done(request, key, 201)
        return {**made.as_dict(), "token": token}

    @app.delete("/v1/keys/{key_id}", responses={**_ERRORS, 404: {"model": Problem}}, tags=["admin"])
    async def drop_key(request: Request, key_id: str, key: ApiKey = Depends(admins)) -> dict[str, Any]:
        """Revoke a key (by id); it stops working at once."""
        try:
            gone = await run_in_threadpool(lambda: revoke_key(settings, key_id, actor=f"key:{key.name}"))
        except HoneError as exc:
            done(request, key, 404)
            raise HTTPException(404, str(exc)) from None
        engine.keys.invalidate()
        done(request, key, 200)
        return gone.as_dict()

    @app.get("/v1/audit", responses=_ERRORS, tags=["admin"])
    async def audit(
        request: Request, key: ApiKey = Depends(admins), limit: int = Query(100, ge=1, le=10_000)
    ) -> list[dict[str, Any]]:
        """The latest audit rows, oldest first."""
        from agenthone.audit import entries

        rows = await run_in_threadpool(lambda: entries(settings, limit=limit))
        done(request, key, 200)
        return [r.as_dict() for r in rows]

    assert set(SENDERS) | set(READERS) <= set(ROLES)
    return app
