"""Record validation compiled to one DuckDB query.

Validation runs inside DuckDB, vectorised, because a per-record Python validator cannot keep up with
DuckDB's own JSON reader (benchmarks/ingest.py). Every ingestion path (JSON lines, JSON arrays, CSV,
Parquet and the live ``log_*`` calls) goes through the same query, so the rules are the same everywhere.

The query is built in three layers:

1. a *source* yields, per input record, ``line_no``, ``valid`` (parsable), ``is_object``, one VARCHAR
   column ``v_<field>`` per field (strings unquoted, numbers and booleans as written, objects and arrays as
   compact JSON text) and ``extra`` (a JSON object of unknown keys, or NULL);
2. typed values ``t_<field>`` are derived from the VARCHAR values with strict, documented rules;
3. ``reason`` names the first failing check in one line; valid rows get a ``content_hash`` over their
   normalised content and an ``id`` (the given one, or an md5 of the content).
"""

from __future__ import annotations

import json

import pyarrow as pa

from agenthone.records import CHAT_ROLES, FieldSpec, RecordKind

__all__ = ["columnar_source", "content_key_sql", "json_source", "validation_sql"]

_SHOW = 60


def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _show(expr: str) -> str:
    """SQL for a short, quoted rendering of an offending value."""
    return (
        f"(CASE WHEN length({expr}) > {_SHOW} THEN '''' || left({expr}, {_SHOW - 3}) || '...'''"
        f" ELSE '''' || {expr} || '''' END)"
    )


def _input_keys(kind: RecordKind) -> list[str]:
    return [*kind.field_names, *kind.aliases]


def json_source(kind: RecordKind, relation: str) -> str:
    """Source over a relation of ``(line_no, raw)`` where ``raw`` is one JSON text per record."""
    keys = _input_keys(kind)
    struct = json.dumps(dict.fromkeys(keys, "VARCHAR"))
    known = "[" + ", ".join(_lit(k) for k in kind.field_names) + "]"
    cols = ", ".join(f"{_ident(k)} AS {_ident('v_' + k)}" for k in keys)
    # unknown keys, each extracted by its own path: ~7x cheaper than casting the record to a MAP; a path
    # cannot name the empty key, so that one (rare) is looked up in the record cast to a MAP
    path = "'$.\"' || replace(replace(k, '\\', '\\\\'), '\"', '\\\"') || '\"'"
    value = (
        f"CASE WHEN k = '' THEN json_transform(raw, '\"MAP(VARCHAR, JSON)\"')[''] ELSE json_extract(raw, {path}) END"
    )
    # the keys of the records that parsed (json_keys cannot fail on them, and TRY costs about 10% of it);
    # a key repeated in the record is kept once (a MAP refuses repeated keys, which failed the whole file)
    once = "list_filter(extra_keys, lambda k, i: list_position(extra_keys, k) = i)"
    extra = (
        f"CASE WHEN len(extra_keys) > 0 THEN to_json(map({once}, "
        f"list_transform({once}, lambda k: {value})))::VARCHAR END"
    )
    return f"""SELECT line_no, valid, is_object, {cols}, {extra} AS extra FROM (
  SELECT line_no, raw, CASE WHEN j IS NOT NULL THEN true ELSE json_valid(raw) END AS valid,
         j IS NOT NULL AND (CASE WHEN starts_with(raw, '{{') THEN true ELSE starts_with(ltrim(raw), '{{') END)
           AS is_object,
         CASE WHEN j IS NOT NULL THEN list_filter(json_keys(raw), lambda k: NOT list_contains({known}, k)) END
           AS extra_keys,
         unnest(j, recursive := false)
  FROM (SELECT line_no, raw, TRY(json_transform(raw, {_lit(struct)})) AS j FROM {relation}))"""


def columnar_source(kind: RecordKind, relation: str, schema: pa.Schema) -> tuple[str, frozenset[str]]:
    """Source over a relation with ``line_no`` and one column per input field (CSV, Parquet, DataFrames).

    Columns whose Arrow type already fits the field (numbers, booleans, timestamps) pass through natively
    as ``n_<field>`` and skip the text round trip; the second value names those fields.
    """
    present = {name for name in schema.names if name != "line_no"}
    cols = []
    native: set[str] = set()
    for key in _input_keys(kind):
        if key not in present:
            cols.append(f"NULL::VARCHAR AS {_ident('v_' + key)}")
        elif key in kind.field_names and _fits_natively(kind.field(key), schema.field(key).type):
            cols.append(f"{_ident(key)} AS {_ident('n_' + key)}")
            native.add(key)
        else:
            cols.append(f"{_as_text(_ident(key), schema.field(key).type)} AS {_ident('v_' + key)}")
    extras = sorted(present - set(kind.field_names))
    if extras:
        packed = ", ".join(f"{_ident(k)} := {_ident(k)}" for k in extras)
        extra = f"to_json(struct_pack({packed}))::VARCHAR"
    else:
        extra = "NULL::VARCHAR"
    sql = f"SELECT line_no, true AS valid, true AS is_object, {', '.join(cols)}, {extra} AS extra FROM {relation}"
    return sql, frozenset(native)


def _fits_natively(spec: FieldSpec, dtype: pa.DataType) -> bool:
    numeric = pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
    return (
        (spec.type in ("unit", "nonneg", "number", "count") and numeric)
        or (spec.type == "bool" and pa.types.is_boolean(dtype))
        or (spec.type == "timestamp" and pa.types.is_timestamp(dtype))
    )


def _as_text(col: str, dtype: pa.DataType) -> str:
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return col
    if pa.types.is_nested(dtype) or (pa.types.is_dictionary(dtype) and pa.types.is_nested(dtype.value_type)):
        return f"to_json({col})::VARCHAR"
    return f"CAST({col} AS VARCHAR)"


def _text(spec: FieldSpec, native: frozenset[str]) -> str:
    """The field's value as text: the source's VARCHAR column, or a rendering of its native column."""
    if spec.name in native:
        return f"CAST({_ident('n_' + spec.name)} AS VARCHAR)"
    return _ident("v_" + spec.name)


def _present(spec: FieldSpec, native: frozenset[str]) -> str:
    col = _ident(("n_" if spec.name in native else "v_") + spec.name)
    return f"{col} IS NOT NULL"


def _typed(spec: FieldSpec, native: frozenset[str] = frozenset()) -> str:
    if spec.name in native:
        n = _ident("n_" + spec.name)
        match spec.type:
            case "timestamp":
                return f"CAST({n} AS TIMESTAMPTZ)"
            case "bool":
                return n
            case "count":
                return f"CASE WHEN {n} = floor({n}) AND abs({n}) < 9e15 THEN CAST({n} AS BIGINT) END"
            case _:
                return f"CAST({n} AS DOUBLE)"
    v = _ident("v_" + spec.name)
    match spec.type:
        case "id" | "text":
            # look at the first byte before trimming: most values start with a printable character (a byte
            # comparison; an IN list over v[1] costs a join per field)
            return (
                f"CASE WHEN {v} >= '!' THEN {v}"
                f" WHEN trim({v}, ' ' || chr(9) || chr(10) || chr(13)) = '' THEN NULL ELSE {v} END"
            )
        case "content":
            return v
        case "timestamp":
            return f"TRY_CAST({v} AS TIMESTAMPTZ)"
        case "bool":
            return (
                f"CASE lower(trim({v})) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true"
                f" WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false END"
            )
        case "unit" | "nonneg" | "number":
            return f"TRY_CAST({v} AS DOUBLE)"
        case "count":
            d = f"TRY_CAST({v} AS DOUBLE)"
            # not TRY_CAST(v AS BIGINT): DuckDB rounds '2.5' to 3 instead of refusing it
            return f"CASE WHEN {d} = floor({d}) AND abs({d}) < 9e15 THEN {d}::BIGINT END"
        case "object" | "array" | "messages":
            return f"TRY(json({v}))"
        case "tags":
            return (
                f"CASE WHEN left(ltrim({v}), 1) = '[' THEN TRY(json_transform({v}, '[\"VARCHAR\"]'))"
                f" ELSE list_filter(list_transform(string_split({v}, ','), lambda s: trim(s)), lambda s: s <> '') END"
            )
    raise AssertionError(spec.type)


def _type_error(spec: FieldSpec, native: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(condition, message expression) for a present value of the wrong type, or None."""
    v = _text(spec, native)
    t = _ident("t_" + spec.name)
    head = f"field {spec.name!r}: "
    got = f"', got ' || {_show(v)}"
    jtype = f"TRY(json_type({v}))"
    match spec.type:
        case "id" | "text":
            # json_valid, not TRY(json_type(...)): TRY costs an exception per plain string it sees
            return (
                f"CASE WHEN starts_with({v}, '{{') OR starts_with({v}, '[') THEN json_valid({v}) ELSE false END",
                _lit(head + "expected a string")
                + f" || ', got a JSON ' || CASE WHEN starts_with({v}, '{{') THEN 'object' ELSE 'array' END",
            )
        case "content":
            return None
        case "timestamp":
            return f"{t} IS NULL OR NOT isfinite({t})", _lit(head + "expected an ISO 8601 timestamp") + f" || {got}"
        case "bool":
            return f"{t} IS NULL", _lit(head + "expected true or false") + f" || {got}"
        case "unit":
            return (
                f"{t} IS NULL OR isnan({t}) OR {t} < 0 OR {t} > 1",
                _lit(head + "expected a number between 0 and 1") + f" || {got}",
            )
        case "nonneg":
            return (
                f"{t} IS NULL OR NOT isfinite({t}) OR {t} < 0",
                _lit(head + "expected a non-negative number") + f" || {got}",
            )
        case "count":
            return f"{t} IS NULL OR {t} < 0", _lit(head + "expected a non-negative integer") + f" || {got}"
        case "number":
            return f"{t} IS NULL OR NOT isfinite({t})", _lit(head + "expected a number") + f" || {got}"
        case "object":
            return f"{jtype} IS DISTINCT FROM 'OBJECT'", _lit(head + "expected a JSON object") + f" || {got}"
        case "array":
            return f"{jtype} IS DISTINCT FROM 'ARRAY'", _lit(head + "expected a JSON array") + f" || {got}"
        case "tags":
            return f"{t} IS NULL", _lit(head + "expected a list of strings") + f" || {got}"
        case "messages":
            return None  # checked by _message_checks
    raise AssertionError(spec.type)


_MESSAGE_STRUCT = json.dumps([{"role": "VARCHAR", "content": "JSON", "tool_calls": "JSON", "function_call": "JSON"}])


_MESSAGE_PROBLEMS = {
    1: " is not a JSON object",
    2: ": role must be one of " + ", ".join(CHAT_ROLES),
    3: ": content must be a string, a list of parts or null",
    4: " has neither content nor tool_calls",
}


def _message_columns(spec: FieldSpec) -> list[str]:
    """Per-message problem codes (0 = fine, see ``_MESSAGE_PROBLEMS``), computed in one pass.

    Parsing the list once into structs and checking every message in a single lambda matters: one
    lambda pass per check held ~20x the data in memory.
    """
    v = _ident("v_" + spec.name)
    items = f"TRY(json_transform({v}, {_lit(_MESSAGE_STRUCT)}))"
    types = f"TRY(json_type({v}, '$[*]'))"
    roles = "[" + ", ".join(_lit(r) for r in CHAT_ROLES) + "]"
    # a JSON value's type shows in its first character: '"' string, '[' list of parts
    code = (
        "CASE WHEN t[i] <> 'OBJECT' THEN 1"
        f" WHEN m.role IS NULL OR NOT list_contains({roles}, m.role) THEN 2"
        " WHEN m.content IS NOT NULL AND left(m.content::VARCHAR, 1) NOT IN ('\"', '[') THEN 3"
        " WHEN m.content IS NULL AND coalesce(left(m.tool_calls::VARCHAR, 1), '') <> '['"
        " AND coalesce(left(m.function_call::VARCHAR, 1), '') <> '{' THEN 4 ELSE 0 END"
    )
    codes = _ident("mc_" + spec.name)
    return [
        f"{types} AS {_ident('mt_' + spec.name)}",
        f"list_transform({items}, lambda m, i: {code.replace('t[i]', f'{types}[i]')}) AS {codes}",
    ]


def _message_summary(spec: FieldSpec) -> list[str]:
    """First problem of the list (index and code), as columns: the reason refers to them several times."""
    codes = _ident("mc_" + spec.name)
    first = f"coalesce(list_position(list_transform({codes}, lambda c: c > 0), true), 0)"
    return [f"{first} AS {_ident('mf_' + spec.name)}"]


def _message_checks(spec: FieldSpec) -> list[tuple[str, str]]:
    """Checks of an OpenAI chat message list: an array of objects with a known role and content."""
    v = _ident("v_" + spec.name)
    types = _ident("mt_" + spec.name)
    codes = _ident("mc_" + spec.name)
    first = _ident("mf_" + spec.name)
    head = f"field {spec.name!r}: "
    problem = (
        "CASE "
        + " ".join(f"WHEN {codes}[{first}] = {n} THEN {_lit(text)}" for n, text in _MESSAGE_PROBLEMS.items())
        + " END"
    )
    # read from the raw text, and only for failing rows: keeping the parsed list as a column would
    # make DuckDB materialise it for every row
    role_of = f"json_extract_string({v}, '$[' || ({first} - 1) || '].role')"
    got_role = f"CASE WHEN {codes}[{first}] = 2 THEN coalesce(', got ' || {_show(role_of)}, ', got none') ELSE '' END"
    return [
        (
            f"TRY(json_type({v})) IS DISTINCT FROM 'ARRAY'",
            _lit(head + "expected a JSON array of chat messages") + f" || ', got ' || {_show(v)}",
        ),
        (f"len({types}) = 0", _lit(head + "must hold at least one message")),
        (f"{first} > 0", _lit(head + "message ") + f" || {first} || {problem} || {got_role}"),
    ]


def _metadata() -> str:
    v = _ident("v_metadata")
    return (
        f"CASE WHEN extra IS NULL THEN TRY(json({v})) WHEN {v} IS NULL THEN extra"
        f" ELSE json_merge_patch(extra, TRY(json({v}))) END"
    )


def _canonical_text(kind: RecordKind) -> str:
    """A stable text rendering of a record's content, used for content-derived ids."""
    parts = []
    for spec in kind.fields:
        if spec.name == "id":
            continue
        col = _ident("t_" + spec.name)
        if spec.type == "timestamp":
            parts.append(f"strftime({col}, '%Y-%m-%dT%H:%M:%S.%fZ')")
        else:
            parts.append(f"coalesce(CAST({col} AS VARCHAR), '\\N')")
    return "concat_ws(chr(31), " + ", ".join(parts) + ")"


def content_key_sql(kind: RecordKind) -> str:
    """An md5 over a valid record's content that tells records apart exactly as its ``content_hash`` does.

    Reads the columns :func:`validation_sql` outputs (one per field, the typed value). Unlike the canonical
    text of derived ids, every field's text is prefixed with its length in UTF-8 bytes, so that no two
    contents share a key, and a zero is written ``0.0`` whatever its sign (``hash`` does not tell -0.0 from
    0.0). The live fast path (:mod:`agenthone.store._live`) computes the same key in Python, so keys from
    both paths compare.
    """
    parts = []
    for spec in kind.fields:
        if spec.name == "id":
            continue
        col = _ident(spec.name)
        if spec.type == "timestamp":
            text = f"strftime({col}, '%Y-%m-%dT%H:%M:%S.%fZ')"
        elif spec.type in ("unit", "nonneg", "number"):
            text = f"CASE WHEN {col} = 0 THEN '0.0' ELSE CAST({col} AS VARCHAR) END"
        else:
            text = f"CAST({col} AS VARCHAR)"
        parts.append(f"coalesce(strlen({text}) || ':' || {text}, '\\N')")
    return "md5(concat_ws(chr(31), " + ", ".join(parts) + "))"


def validation_sql(kind: RecordKind, source: str, native: frozenset[str] = frozenset()) -> str:
    """The query that turns a source into ``line_no, reason, <fields...>, content_hash``.

    ``reason`` is NULL for a valid record; otherwise it is the one-line explanation of the first failure.
    """
    typed: list[str] = []
    for spec in kind.fields:
        if spec.name == "metadata":
            expr = _metadata()
        elif spec.name == "agent_name" and kind.aliases:
            expr = f"coalesce({_typed(spec)}, CASE WHEN trim(v_agent_id) = '' THEN NULL ELSE v_agent_id END)"
        elif spec.name == "agent_name" and "agent_id" in kind.field_names:
            expr = f"coalesce({_typed(spec, native)}, {_typed(kind.field('agent_id'), native)})"
        else:
            expr = _typed(spec, native)
        typed.append(f"{expr} AS {_ident('t_' + spec.name)}")
        if spec.type == "messages":
            typed.extend(_message_columns(spec))
    derived = ""
    if kind.name == "edit":
        # accepted, when not given: the person kept the AI output up to whitespace
        norm = "trim(regexp_replace({0}, '\\s+', ' ', 'g'))"
        same = norm.format("v_ai_output") + " = " + norm.format("v_final_output")
        derived = f", coalesce(t_accepted, {same}) AS t_accepted_final"

    typed_layer = f"SELECT *, {', '.join(typed)} FROM ({source})"
    summaries = [col for spec in kind.fields if spec.type == "messages" for col in _message_summary(spec)]
    summary_layer = f"SELECT *, {', '.join(summaries)} FROM ({typed_layer})" if summaries else typed_layer

    checks: list[tuple[str, str]] = [
        ("NOT valid", "'invalid JSON'"),
        ("NOT is_object", "'expected a JSON object'"),
    ]
    for spec in kind.fields:
        if spec.required:
            t = _ident("t_" + spec.name)
            checks.append(
                (f"{t} IS NULL AND NOT {_present(spec, native)}", _lit(f"missing required field {spec.name!r}"))
            )
            if spec.type in ("id", "text"):
                checks.append((f"{t} IS NULL", _lit(f"field {spec.name!r}: must not be empty")))
    for spec in kind.fields:
        present = _present(spec, native)
        if spec.type == "messages":
            for cond, msg in _message_checks(spec):
                checks.append((f"{present} AND ({cond})", msg))
            continue
        err = _type_error(spec, native)
        if err is not None:
            checks.append((f"{present} AND ({err[0]})", err[1]))
    reason = "CASE " + " ".join(f"WHEN {c} THEN {m}" for c, m in checks) + " END"

    out_cols = []
    hash_args = []
    for spec in kind.fields:
        src = "t_accepted_final" if (kind.name == "edit" and spec.name == "accepted") else "t_" + spec.name
        if spec.name == "id":
            continue
        out_cols.append(f"{_ident(src)} AS {_ident(spec.name)}")
        hash_args.append(_ident(src))
    canonical = _canonical_text(kind)
    if kind.name == "edit":
        canonical = canonical.replace('"t_accepted"', '"t_accepted_final"')
    return f"""SELECT line_no, reason,
  CASE WHEN reason IS NULL THEN coalesce(t_id, md5({canonical})) END AS id,
  {", ".join(out_cols)},
  CASE WHEN reason IS NULL THEN hash({", ".join(hash_args)}) END AS content_hash
FROM (SELECT *, {reason} AS reason{derived} FROM ({summary_layer}))"""
