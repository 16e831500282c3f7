"""Tool calling: a registry of tools with their observed performance, compressed schemas, tool selection,
retrieval benchmarks, a parallel executor with an audit log, and structured-output validation.

    from agenthone.tools import ToolRegistry, ToolSelector, compress, token_savings

    reg = ToolRegistry.from_store(store)                      # tools offered in logged conversations
    reg.stats(store)                                          # calls, success, latency, tokens per tool
    selector = ToolSelector(reg.tools(), history=usage_history(store))
    selector.select("refund order 1042", k=5).explain()      # the top 5, each with why
    token_savings(reg.tools()).as_dict()                      # prompt tokens as sent vs compressed
"""

from agenthone.tools._bench import bench_bfcl, bench_files, bench_selection, ranking_metrics, read_queries
from agenthone.tools._compress import (
    CompressionMode,
    TokenSavings,
    compress,
    compress_tools,
    count_tokens,
    decompress,
    token_savings,
)
from agenthone.tools._executor import CallResult, ToolCall, ToolExecutor, parse_calls
from agenthone.tools._outputs import OutputError, OutputValidation, output_failures, validate_output
from agenthone.tools._registry import ToolRegistry, call_failed, registry_path, tool_calls_of, usage_history
from agenthone.tools._schema import Tool, ToolError, read_bfcl, read_tools, to_json_schema, tool_from_schema
from agenthone.tools._select import Pick, Selection, ToolSelector, select_tools

__all__ = [
    "CallResult",
    "CompressionMode",
    "OutputError",
    "OutputValidation",
    "Pick",
    "Selection",
    "TokenSavings",
    "Tool",
    "ToolCall",
    "ToolError",
    "ToolExecutor",
    "ToolRegistry",
    "ToolSelector",
    "bench_bfcl",
    "bench_files",
    "bench_selection",
    "call_failed",
    "compress",
    "compress_tools",
    "count_tokens",
    "decompress",
    "output_failures",
    "parse_calls",
    "ranking_metrics",
    "read_bfcl",
    "read_queries",
    "read_tools",
    "registry_path",
    "select_tools",
    "to_json_schema",
    "token_savings",
    "tool_calls_of",
    "tool_from_schema",
    "usage_history",
    "validate_output",
]
